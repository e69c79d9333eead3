import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import MonitorStore
import NIOCore
import Testing

@testable import MonitorRuntime

/// The runtime without HTTP: a configuration change validated as a whole and applied everywhere it goes, the
/// thresholds and their file, history merged from memory and a store, the statistics' sums. The collector has
/// no container (nothing is read from the kernel here: `MonitorCoreTests` does that).
@Suite struct MonitoringRuntimeTests {
    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    static func runtime(
        history: MemoryHistoryStore = MemoryHistoryStore(), alerts: AlertLog = AlertLog(), thresholdFile: ThresholdFile? = nil
    ) -> MonitoringRuntime {
        let layout = CgroupLayout(mode: .v2, root: "/nonexistent", controllers: [:], unified: "/nonexistent")
        let collector = Collector(options: .init(layout: layout), logger: logger)
        let service = CollectorService(collector: collector, interval: .seconds(5), logger: logger)
        return MonitoringRuntime(
            collection: service, thresholds: ThresholdTable(), alerts: alerts, history: history, storagePath: "/nonexistent",
            retentionDays: 7, thresholdFile: thresholdFile, logger: logger)
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "wd-runtime-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aConfigurationChangeIsRefusedWholeOrAppliedEverywhere() throws {
        let history = MemoryHistoryStore(persistInterval: .seconds(5))
        let runtime = Self.runtime(history: history)
        let cpu = ThresholdChange(metric: .cpuPercent, scope: .global, threshold: Threshold(warning: 50, critical: 60))
        // Each bad part refuses the whole change: nothing of the good parts is applied.
        for bad in [
            ConfigurationChange(intervalSeconds: 0.05, retentionDays: 3, thresholds: [cpu]),
            ConfigurationChange(intervalSeconds: 1, retentionDays: 31, thresholds: [cpu]),
            ConfigurationChange(
                intervalSeconds: 1, thresholds: [ThresholdChange(metric: .memoryPercent, scope: .global, threshold: Threshold(warning: 9, critical: 9))]),
        ] {
            #expect(throws: RuntimeError.self) { try runtime.apply(bad) }
            #expect(runtime.interval == .seconds(5))
            #expect(runtime.retentionDays == 7)
            #expect(runtime.thresholds.threshold(for: .cpuPercent)?.warning != 50)
        }
        // A sub-second interval: collection follows, persistence stays at a second (SPEC §7).
        try runtime.apply(ConfigurationChange(intervalSeconds: 0.5, retentionDays: 3, thresholds: [cpu]))
        #expect(runtime.interval == .milliseconds(500))
        #expect(runtime.timestampPrecision == .milliseconds)
        #expect(history.persistInterval == .seconds(1))
        #expect(runtime.retentionDays == 3 && history.retentionDays == 3)
        #expect(runtime.thresholds.threshold(for: .cpuPercent)?.critical == 60)
        try runtime.apply(ConfigurationChange(intervalSeconds: 10))
        #expect(history.persistInterval == .seconds(10))
        #expect(runtime.timestampPrecision == .seconds)
    }

    @Test func theRefusalSaysWhatWasGivenAndWhatIsAccepted() {
        let runtime = Self.runtime()
        #expect(throws: RuntimeError.invalid("collection_interval doit être entre 0.1 et 60 secondes (reçu: 0.05)")) {
            try runtime.apply(ConfigurationChange(intervalSeconds: 0.05))
        }
        // The value as given, not rounded into the range nor capped.
        for outside in [0.09999999999, 60.0000000004, 1e300, -1, .infinity, .nan] {
            #expect(throws: RuntimeError.self) { try runtime.apply(ConfigurationChange(intervalSeconds: outside)) }
        }
        #expect(throws: RuntimeError.invalid("collection_interval doit être entre 0.1 et 60 secondes (reçu: 1e+300)")) {
            try runtime.apply(ConfigurationChange(intervalSeconds: 1e300))
        }
        #expect(runtime.interval == .seconds(5))
        #expect(throws: RuntimeError.invalid("retention_days doit être entre 1 et 30 (reçu: 0)")) {
            try runtime.apply(ConfigurationChange(retentionDays: 0))
        }
    }

    @Test func thresholdsSetAtRunTimeSurviveARestart() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = ThresholdFile(directory: directory)
        let first = Self.runtime(thresholdFile: file)
        #expect(try first.setThreshold(Threshold(warning: 11, critical: 22), for: .memoryPercent, scope: .global))
        #expect(try first.setThreshold(Threshold(warning: 1, critical: 2), for: .cpuPercent, scope: .service("web")))
        // The same file, read by the next run's runtime over its defaults.
        let second = Self.runtime(thresholdFile: file)
        #expect(second.thresholds.threshold(for: .memoryPercent) == Threshold(warning: 11, critical: 22))
        #expect(second.thresholds.overrides[.service("web")]?[.cpuPercent] == Threshold(warning: 1, critical: 2))
        try second.removeThresholdOverride(for: .cpuPercent, scope: .service("web"))
        #expect(Self.runtime(thresholdFile: file).thresholds.overrides[.service("web")]?[.cpuPercent] == nil)
    }

    @Test func thresholdRefusals() throws {
        let runtime = Self.runtime()
        #expect(throws: RuntimeError.self) { _ = try runtime.setThreshold(Threshold(warning: 5, critical: 5), for: .cpuPercent, scope: .global) }
        #expect(throws: RuntimeError.invalid("Seul un seuil propre à un service (service_name) ou à un conteneur (container_id) peut être supprimé")) {
            try runtime.removeThresholdOverride(for: .cpuPercent, scope: .global)
        }
        #expect(throws: RuntimeError.notFound("Aucun seuil cpu_percent propre à ce service ou conteneur")) {
            try runtime.removeThresholdOverride(for: .cpuPercent, scope: .service("nobody"))
        }
        #expect(throws: RuntimeError.notFound("Conteneur introuvable: abcdef")) {
            _ = try runtime.thresholdScope(service: nil, container: "abcdef")
        }
        #expect(throws: RuntimeError.self) { _ = try runtime.thresholdScope(service: "a", container: "b") }
        #expect(try runtime.thresholdScope(service: "", container: "") == .global)
        #expect(try runtime.thresholdScope(service: "web", container: nil) == .service("web"))
    }

    static let second: Int64 = 1_000_000_000

    static func sample(_ name: String, id: Character, at nanos: Int64, cpu: Double = 1) -> Sample {
        var s = Sample(
            container: ContainerIdentity(id: String(repeating: id, count: 64), name: name, serviceName: "svc", projectName: nil),
            timestampNanos: nanos)
        s.cpuPercent = cpu
        return s
    }

    static func alert(_ name: String, id: Character, at nanos: Int64, level: AlertLevel) -> AlertRecord {
        AlertRecord(
            containerID: String(repeating: id, count: 64), containerName: name, serviceName: "svc", timestampNanos: nanos, level: level,
            metricType: .cpuPercent, value: 95, threshold: 90, message: "CPU élevé")
    }

    static func timestamps(_ plan: HistoryPlan) -> [Int64] {
        let records = plan.records()
        var out: [Int64] = []
        while let item = records.next() { out.append(item.timestampNanos) }
        return out
    }

    @Test func aGoneContainersHistoryComesFromTheStoreNewestFirstByNameOrIdPrefix() throws {
        let history = MemoryHistoryStore()
        let now = Clocks.wallNanos() / Self.second * Self.second
        history.write((1...5).map { Self.sample("old-db", id: "a", at: now - Int64($0) * 10 * Self.second) })
        history.write((1...3).map { Self.sample("other", id: "b", at: now - Int64($0) * 10 * Self.second) })
        let runtime = Self.runtime(history: history)
        let byName = try runtime.samplePlan(HistoryRequest(containerRef: "old-db", sinceNanos: now - 3600 * Self.second, limit: 3))
        #expect(Self.timestamps(byName) == [now - 10 * Self.second, now - 20 * Self.second, now - 30 * Self.second])
        let byPrefix = try runtime.samplePlan(HistoryRequest(containerRef: "aaaa", sinceNanos: now - 25 * Self.second, limit: 100))
        #expect(Self.timestamps(byPrefix).count == 2)
        let everything = try runtime.samplePlan(HistoryRequest(sinceNanos: now - 3600 * Self.second, limit: 100))
        #expect(Self.timestamps(everything).count == 8)
        #expect(Self.timestamps(everything) == Self.timestamps(everything).sorted(by: >))
        let tooShortToBeAPrefix = try runtime.samplePlan(HistoryRequest(containerRef: "aa", sinceNanos: now - 3600 * Self.second, limit: 100))
        #expect(Self.timestamps(tooShortToBeAPrefix).isEmpty)
    }

    @Test func alertsMergeMemoryAndStoreWithoutCountingOneTwice() throws {
        let history = MemoryHistoryStore()
        let log = AlertLog()
        let now = Clocks.wallNanos() / Self.second * Self.second
        // Before this run: only in the store.
        for i in 3...4 { history.persist(Self.alert("db", id: "c", at: now - Int64(i) * 60 * Self.second, level: .warning)) }
        let runtime = Self.runtime(history: history, alerts: log)
        // This run's alerts go to memory and (through the runtime's listener) to the store as well.
        log.append(Self.alert("db", id: "c", at: now - 2 * 60 * Self.second, level: .critical))
        log.append(Self.alert("db", id: "c", at: now - 60 * Self.second, level: .warning))
        let all = try runtime.alertPlan(HistoryRequest(sinceNanos: now - 3600 * Self.second, limit: 100))
        #expect(Self.timestamps(all) == [1, 2, 3, 4].map { now - Int64($0) * 60 * Self.second })
        let warnings = try runtime.alertPlan(HistoryRequest(containerRef: "db", sinceNanos: now - 3600 * Self.second, limit: 100, level: .warning))
        #expect(Self.timestamps(warnings) == [1, 3, 4].map { now - Int64($0) * 60 * Self.second })
        let summary = runtime.alertSummary(runtime.health.readings(), nowNanos: now)
        #expect(summary.lastDay == 2 && summary.lastHour == 2)
        #expect(summary.lastDayByLevel == [.critical: 1, .warning: 1, .info: 0])
    }
}
