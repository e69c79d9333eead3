import ArgumentParser
import Foundation
import Logging
import MonitorApp
import MonitorCore
import MonitorEncoding
import NIOCore

/// `wakedock-monitor stats`: every container once, like `docker stats --no-stream`. When a daemon serves on
/// this host (its settings' address, or `--from URL`) the answer is its rings' newest samples, in milliseconds;
/// otherwise two kernel reads a short interval apart, no daemon needed.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print every container's usage once, like `docker stats --no-stream`.",
        discussion: """
            SETTINGS (each also read from its variable; a flag beats its variable):
            \(SettingSpec.helpText(for: [.common]))
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    /// The common settings' flags (`SettingSpec.all`, scope `.common`), parsed from what ArgumentParser did not
    /// recognize.
    @Argument(parsing: .allUnrecognized, help: .private) var settingArguments: [String] = []

    @Option(help: "table (default) or json: one object per line with the fields of a sample.")
    var format: Format = .table
    @Option(
        name: .customLong("filter"),
        help: ArgumentHelp(
            "Only containers matching: name=X, service=X, project=X, id=PREFIX, or a bare X (name, service or id prefix). Repeatable; all must match.",
            valueName: "filter"))
    var filters: [String] = []
    @Option(help: "Seconds between the two kernel reads that CPU % and rates come from (default 0.2).")
    var sampleInterval: Double = 0.2
    @Flag(help: "Show full container ids in the table.")
    var noTrunc = false
    @Option(
        help: ArgumentHelp(
            "A serving daemon's base URL (e.g. http://10.0.0.5:8000) to answer from; an error if it does not answer. Default: the daemon of these settings (WAKEDOCK_HOST, WAKEDOCK_PORT) if one answers, else the kernel.",
            valueName: "url"))
    var from: String?
    @Flag(help: "Read the kernel even when a daemon is serving.")
    var local = false

    func validate() throws {
        _ = try SettingFlags.parse(settingArguments, scopes: [.common])
        guard sampleInterval.isFinite, sampleInterval >= 0.01, sampleInterval <= 60 else {
            throw ValidationError("--sample-interval must be from 0.01 to 60 seconds")
        }
        if local, from != nil {
            throw ValidationError("--local and --from exclude each other")
        }
        for filter in filters where filter.isEmpty {
            throw ValidationError("--filter needs a value")
        }
    }

    func run() async throws {
        let settings = try SettingFlags.loadSettings(settingArguments, scopes: [.common])
        // Quiet unless a log level was asked for: the table is the output.
        let logger = LoggingSetup.bootstrap(level: settings.given.contains("WAKEDOCK_LOG_LEVEL") ? settings.logLevel : .warning).logger
        var samples = try await fromDaemon(settings: settings, logger: logger)
        if samples == nil { samples = try await fromKernel(settings: settings, logger: logger) }
        print((samples ?? []).filter { sample in filters.allSatisfy { Self.matches(sample.container, $0) } }
            .sorted { $0.container.name < $1.container.name })
    }

    /// The daemon's snapshot, or nil to read the kernel: none answers at the default address, or it has
    /// stopped collecting. An explicit `--from` that fails is an error, not a silent local read.
    private func fromDaemon(settings: Settings, logger: Logger) async throws -> [Sample]? {
        guard !local, let base = from ?? DaemonSnapshot.defaultBaseURL(host: settings.host, port: settings.port) else {
            return nil
        }
        do {
            let snapshot = try await DaemonSnapshot.fetch(from: base)
            if snapshot.collecting {
                logger.info("answered from the daemon's rings", metadata: ["daemon": "\(base)"])
                return snapshot.samples
            }
            guard from == nil else {
                FileHandle.standardError.write(Data("wakedock-monitor: the daemon at \(base) has stopped collecting; its samples are as old as the stop\n".utf8))
                return snapshot.samples
            }
            logger.info("the daemon has stopped collecting; reading the kernel", metadata: ["daemon": "\(base)"])
            return nil
        } catch {
            guard from == nil else {
                FileHandle.standardError.write(Data("wakedock-monitor: no answer from \(base): \(error)\n".utf8))
                throw ExitCode(1)
            }
            logger.info("no daemon answered; reading the kernel", metadata: ["daemon": "\(base)", "error": "\(error)"])
            return nil
        }
    }

    private func print(_ samples: [Sample]) {
        switch format {
        case .json:
            var buffer = ByteBuffer()
            for sample in samples {
                buffer.writeSampleJSON(sample, precision: .milliseconds)
                buffer.writeStaticString("\n")
            }
            FileHandle.standardOutput.write(Data(buffer.readableBytesView))
        case .table:
            Swift.print(StatsTable.render(samples, truncateIDs: !noTrunc), terminator: "")
        }
    }

    /// Two reads of every file, `--sample-interval` apart.
    private func fromKernel(settings: Settings, logger: Logger) async throws -> [Sample] {
        let engine: Engine
        do {
            engine = try Engine(settings: settings, logger: logger, cadence: .everything)
        } catch {
            FileHandle.standardError.write(Data("wakedock-monitor: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let (targets, _) = await engine.discoverOnce(settings: settings, logger: logger, pids: false)
        // Filtered before reading: no file of a container left out is opened.
        let selected = targets.filter { target in filters.allSatisfy { Self.matches(target.identity, $0) } }

        let capture = LastTickCapture()
        engine.collector.add(sink: capture)
        engine.collector.inbox.post(.replaceAll(selected))
        engine.collector.tick()
        try await Task.sleep(for: .seconds(saturating: sampleInterval))
        engine.collector.tick()
        return capture.samples
    }

    static func matches(_ identity: ContainerIdentity, _ filter: String) -> Bool {
        let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            switch parts[0] {
            case "name": return identity.name == parts[1]
            case "service": return identity.serviceName == parts[1]
            case "project": return identity.projectName == parts[1]
            case "id": return identity.id.hasPrefix(parts[1])
            default: return false
            }
        }
        return ContainerReference(filter).matches(identity) || identity.serviceName == filter
    }
}

/// Keeps the samples of the latest tick.
final class LastTickCapture: SampleSink {
    private(set) var samples: [Sample] = []

    func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        var copy: [Sample] = []
        copy.reserveCapacity(samples.count)
        for i in samples.indices { copy.append(samples[i]) }
        self.samples = copy
    }
}
