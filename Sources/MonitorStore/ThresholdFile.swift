import Foundation
import Logging
import MonitorCore
import NIOCore

/// Thresholds changed through the API, kept across restarts in `<storage>/thresholds.json`, written
/// atomically (a temporary file, fsync, rename): a crash leaves the old file or the new one, never half.
///
/// Only what the API set is stored; at start it is applied over the defaults from the environment, so a
/// changed `WAKEDOCK_CPU_WARNING_THRESHOLD` still applies to what nobody changed through the API.
public struct ThresholdFile: Sendable {
    public let path: String

    public init(directory: String) { path = directory + "/thresholds.json" }

    struct Contents: Codable {
        var version = 1
        var global: [String: Threshold] = [:]
        var services: [String: [String: Threshold]] = [:]
        var containers: [String: [String: Threshold]] = [:]
    }

    /// Loads what was saved into `table` (over its defaults). A missing file is normal; a damaged one is
    /// logged and ignored (the defaults stay).
    public func load(into table: ThresholdTable, logger: Logger) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        do {
            let contents = try JSONDecoder().decode(Contents.self, from: data)
            var global = table.all
            for (name, t) in contents.global {
                guard let metric = MetricType(rawValue: name), t.validationFailure == nil else { continue }
                global[metric] = t
            }
            var overrides: [ThresholdScope: [MetricType: Threshold]] = [:]
            for (scopes, make) in [(contents.services, ThresholdScope.service), (contents.containers, ThresholdScope.container)] {
                for (key, table) in scopes {
                    for (name, t) in table {
                        guard let metric = MetricType(rawValue: name), t.validationFailure == nil else { continue }
                        overrides[make(key), default: [:]][metric] = t
                    }
                }
            }
            table.replace(global: global, overrides: overrides)
            logger.info(
                "thresholds loaded", metadata: ["file": "\(path)", "global": "\(contents.global.count)", "overrides": "\(overrides.count)"])
        } catch {
            logger.error("thresholds file unreadable; using the defaults", metadata: ["file": "\(path)", "error": "\(error)"])
        }
    }

    /// Saves the table's current state. Throws when the directory refuses.
    public func save(_ table: ThresholdTable, changedGlobal: Set<MetricType>) throws {
        var contents = Contents()
        // Global thresholds: those the API has ever set (kept in the file), plus the new changes.
        if let data = FileManager.default.contents(atPath: path), let old = try? JSONDecoder().decode(Contents.self, from: data) {
            contents.global = old.global
        }
        let all = table.all
        for metric in changedGlobal { contents.global[metric.rawValue] = all[metric] }
        for (scope, thresholds) in table.overrides {
            let named = Dictionary(uniqueKeysWithValues: thresholds.map { ($0.key.rawValue, $0.value) })
            switch scope {
            case .global: break
            case .service(let name): contents.services[name] = named
            case .container(let id): contents.containers[id] = named
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(contents)
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(StorageDirectory.directoryMode)])
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, StorageDirectory.fileMode)
        guard fd >= 0 else { throw StoreError(errno: errno, operation: "open \(temporary)") }
        defer { close(fd) }
        do {
            try writeAll(fd, ByteBuffer(bytes: data), path: temporary)
            guard fsync(fd) == 0 else { throw StoreError(errno: errno, operation: "fsync \(temporary)") }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else { throw StoreError(errno: errno, operation: "rename \(temporary)") }
    }
}
