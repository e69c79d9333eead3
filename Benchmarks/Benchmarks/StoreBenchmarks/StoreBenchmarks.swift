import Benchmark
import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import MonitorStore
import NIOCore

/// The history store: how many lines a core writes per second (encode + write(2), as the store's task does),
/// and how long the queries of `GET /metrics` take over a day of files for 50 containers persisted every
/// second (generated once by the real writer, rotated at 50 MB and gzipped, then kept in /tmp).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput], warmupIterations: 3,
        maxDuration: .seconds(5), maxIterations: 1000)

    Benchmark("empty") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(benchmark.currentIteration) }
    }

    Benchmark(
        "store/write 50 containers x 60 ticks (3,000 lines)",
        configuration: .init(maxIterations: 200)
    ) { benchmark in
        let directory = NSTemporaryDirectory() + "wakedock-bench-write-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = GeneratedHistory.makeStore(directory: directory)
        let ticks = (0..<60).map { GeneratedHistory.tick(at: 1_737_023_400_000_000_000 + Int64($0) * 1_000_000_000) }
        let batch = Array(ticks.joined())
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { store.writeNow(batch) }
        benchmark.stopMeasurement()
    }

    let history = GeneratedHistory.prepare()
    let hour: Int64 = 3_600_000_000_000

    func query(_ benchmark: Benchmark, containerID: String?, limit: Int) {
        for _ in benchmark.scaledIterations {
            var filter = StoredRecordFilter(sinceNanos: history.endNanos - hour)
            filter.containerID = containerID
            let records = StoredRecords(directory: history.directory, prefix: "metrics", filter: filter)
            var count = 0
            while count < limit, let record = records.next() {
                blackHole(record)
                count += 1
            }
            precondition(count == min(limit, containerID == nil ? 50 * 3600 : 3600), "query found \(count)")
        }
    }

    Benchmark("history/1 h of 24 h, all containers, limit 1000") { benchmark in
        query(benchmark, containerID: nil, limit: 1000)
    }
    Benchmark("history/1 h of 24 h, all containers, limit 10000") { benchmark in
        query(benchmark, containerID: nil, limit: 10_000)
    }
    Benchmark("history/1 h of 24 h, one container, limit 1000") { benchmark in
        query(benchmark, containerID: GeneratedHistory.id(7), limit: 1000)
    }
    Benchmark("history/1 h of 24 h, one container, whole hour (3600)", configuration: .init(maxIterations: 50)) {
        benchmark in
        query(benchmark, containerID: GeneratedHistory.id(7), limit: 10_000)
    }

    // `step` (GET /metrics?step=…): a whole window read from the files and folded into one record per container
    // per step, through the runtime's plan as the API runs it (parse every matching line, average, encode).
    /// One stepped query through the runtime's plan, as the API runs it; returns how many records it wrote.
    func steppedQuery(_ runtime: MonitoringRuntime, containerID: String?, since: Int64, step: Int64) -> Int {
        let plan = try! runtime.samplePlan(HistoryRequest(
            containerRef: containerID, sinceNanos: since, limit: 10_000, stepNanos: step * 1_000_000_000))
        let records = plan.records()
        var buffer = ByteBuffer()
        var count = 0
        while let item = records.next() {
            item.write(to: &buffer, precision: .seconds)
            count += 1
        }
        blackHole(buffer)
        return count
    }

    func stepped(_ benchmark: Benchmark, directory: String, endNanos: Int64, hours: Int64, step: Int64) {
        let runtime = GeneratedHistory.runtime(reading: directory)
        let expected = Int(hours * 3600 / step)
        for _ in benchmark.scaledIterations {
            let count = steppedQuery(runtime, containerID: GeneratedHistory.id(7), since: endNanos - hours * hour, step: step)
            precondition(count >= expected && count <= expected + 1, "stepped query gave \(count), expected \(expected)")
        }
    }
    // The day at 1 s: from the lines (a step that is not whole five minutes), then from the store's own
    // rolled-up steps.
    Benchmark("step/1 h of one container, step=60, from the lines (60 records)", configuration: .init(maxIterations: 50)) {
        benchmark in
        stepped(benchmark, directory: history.directory, endNanos: history.endNanos, hours: 1, step: 60)
    }
    Benchmark("step/24 h of one container, step=60, from the lines (1,440 records)", configuration: .init(maxIterations: 5)) {
        benchmark in
        stepped(benchmark, directory: history.directory, endNanos: history.endNanos, hours: 24, step: 60)
    }
    Benchmark("step/24 h of one container, step=300, from the rolled-up steps (288 records)", configuration: .init(maxIterations: 50)) {
        benchmark in
        stepped(benchmark, directory: history.directory, endNanos: history.endNanos, hours: 24, step: 300)
    }

    // A week of 50 containers persisted every minute by the real store (it rolls its five-minute steps up as it
    // writes; closed days gzipped), and the query of one container at step=300 that the dashboard's 7-day chart
    // makes: from the rolled-up steps, and from the lines alone (the same files without them).
    Benchmark("step/7 days of one container, step=300, from the rolled-up steps (2,016 records)", configuration: .init(maxIterations: 20)) {
        benchmark in
        let week = GeneratedWeek.prepare()
        stepped(benchmark, directory: week.directory, endNanos: week.endNanos, hours: 7 * 24, step: 300)
    }
    Benchmark("step/7 days of one container, step=300, from the lines (2,016 records)", configuration: .init(maxIterations: 3)) {
        benchmark in
        let week = GeneratedWeek.prepare()
        stepped(benchmark, directory: week.linesOnly, endNanos: week.endNanos, hours: 7 * 24, step: 300)
    }
}

/// Eight days of 50 containers persisted every minute, written by the real store (which rolls up its
/// five-minute steps as it writes), made once and kept in /tmp; and a copy of it without the rolled-up steps
/// (hard links to the same metrics files).
enum GeneratedWeek {
    static let directory = "/tmp/wakedock-bench-week-v1"

    struct Summary {
        var directory: String
        var linesOnly: String
        var endNanos: Int64
    }

    static func prepare() -> Summary {
        let linesOnly = directory + "-lines"
        let marker = directory + "/generated"
        if let text = try? String(contentsOfFile: marker, encoding: .utf8), let end = Int64(text.split(separator: " ")[0]) {
            return Summary(directory: directory, linesOnly: linesOnly, endNanos: end)
        }
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: linesOnly)
        // Ends on a whole hour: every batch below is an hour of one day.
        let end = Clocks.wallNanos() / 3_600_000_000_000 * 3_600_000_000_000
        let store = GeneratedHistory.makeStore(directory: directory)
        var hourStart = end - 8 * 86_400_000_000_000
        while hourStart < end {
            store.writeNow((0..<60).flatMap { GeneratedHistory.tick(at: hourStart + Int64($0) * 60_000_000_000) })
            hourStart += 3_600_000_000_000
        }
        store.closeRollups()
        store.flush()
        _ = FileMaintenance.compressClosedFiles(directory: directory, today: end / 86_400_000_000_000)
        try? FileManager.default.createDirectory(atPath: linesOnly, withIntermediateDirectories: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix("metrics_") {
            link(directory + "/" + name, linesOnly + "/" + name)
        }
        try? "\(end) generated\n".write(toFile: marker, atomically: true, encoding: .utf8)
        return Summary(directory: directory, linesOnly: linesOnly, endNanos: end)
    }
}

/// A day of history for 50 containers at 1 s persistence, written by the real store into /tmp once and
/// reused by later runs (it does not depend on the clock: queries take the window from its end).
enum GeneratedHistory {
    /// v2: written with the store's rolled-up steps beside the lines.
    static let directory = "/tmp/wakedock-bench-history-v2"
    static let containers = 50

    struct Summary {
        var directory: String
        var endNanos: Int64
    }

    static func id(_ i: Int) -> String { String(format: "%064x", 0xC0FFEE00 + i) }

    /// A runtime with no container of its own whose history is the generated files: what `GET /metrics` plans.
    static func runtime(reading directory: String) -> MonitoringRuntime {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let layout = CgroupLayout(mode: .v2, root: "/nonexistent", controllers: [:], unified: "/nonexistent")
        let collection = CollectorService(
            collector: Collector(options: .init(layout: layout), logger: logger), interval: .seconds(1), logger: logger)
        return MonitoringRuntime(
            collection: collection, thresholds: ThresholdTable(), alerts: AlertLog(), history: makeStore(directory: directory),
            storagePath: directory, retentionDays: 3650, logger: logger)
    }

    static func makeStore(directory: String) -> JSONLStore {
        JSONLStore(
            directory: directory, persistInterval: .seconds(1), retentionDays: 3650, precision: { .seconds },
            logger: Logger(label: "bench"))
    }

    static let identities = (0..<containers).map {
        ContainerIdentity(id: id($0), name: "svc-\($0 % 10)-\($0 / 10)", serviceName: "svc-\($0 % 10)", projectName: "bench")
    }

    /// One tick's samples, with values that vary as a real day's would (so gzip sees realistic entropy).
    static func tick(at nanos: Int64) -> [Sample] {
        let second = UInt64(nanos / 1_000_000_000)
        return identities.enumerated().map { i, identity in
            var s = Sample(container: identity, timestampNanos: nanos)
            let wave = Double((second &* 2_654_435_761 &+ UInt64(i) &* 40_503) % 10_000) / 100
            s.cpuPercent = wave
            s.cpuUsageNanos = second &* 1_000_000 &+ UInt64(i) &* 12_345_678
            s.memoryUsage = 200_000_000 + UInt64(wave * 1_000_000)
            s.memoryLimit = 2_147_483_648
            s.memoryPercent = Double(s.memoryUsage) / Double(s.memoryLimit) * 100
            s.networkRxBytes = second &* 15_000 &+ UInt64(i)
            s.networkTxBytes = second &* 9_000 &+ UInt64(i)
            s.networkRxRate = 15_000 + wave
            s.networkTxRate = 9_000 + wave
            s.blockReadBytes = second &* 100
            s.blockWriteBytes = second &* 300
            s.pids = 10 + UInt64(i % 7)
            return s
        }
    }

    static func prepare() -> Summary {
        let marker = directory + "/generated"
        if let text = try? String(contentsOfFile: marker, encoding: .utf8), let end = Int64(text.split(separator: " ")[0]) {
            return Summary(directory: directory, endNanos: end)
        }
        try? FileManager.default.removeItem(atPath: directory)
        let started = Date()
        // End on a whole minute, a day long: 86,400 ticks × 50 containers.
        let end = (Clocks.wallNanos() / 60_000_000_000) * 60_000_000_000
        let start = end - 86_400_000_000_000
        let store = makeStore(directory: directory)
        var lines = 0
        var minute = start
        while minute < end {
            var batch: [Sample] = []
            batch.reserveCapacity(60 * containers)
            for s in 0..<60 { batch += tick(at: minute + Int64(s) * 1_000_000_000) }
            store.writeNow(batch)
            lines += batch.count
            minute += 60_000_000_000
        }
        let written = store.health.readings().count(StoreStatistics.Names.bytesWritten)
        let (raw, compressed) = FileMaintenance.compressClosedFiles(directory: directory, today: end / 86_400_000_000_000)
        let perSample = Double(written) / Double(lines)
        let ratio = Double(raw) / Double(max(compressed, 1))
        let summary = String(
            format: "%lld lines, %.1f bytes/sample written, %.1f bytes/sample gzipped (%.1f×, closed parts), generated in %.0f s",
            Int64(lines), perSample, perSample / ratio, ratio, Date().timeIntervalSince(started))
        print("history generated: \(summary)")
        try? "\(end) \(summary)\n".write(toFile: marker, atomically: true, encoding: .utf8)
        return Summary(directory: directory, endNanos: end)
    }
}
