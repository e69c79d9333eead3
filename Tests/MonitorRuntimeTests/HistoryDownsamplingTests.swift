import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import MonitorStore
import NIOCore
import Testing

@testable import MonitorRuntime

/// `step` (SPEC §7): one record per container per step, rates and percentages averaged, counters and gauges at
/// their newest value, the step's CPU and memory maxima, from memory's samples and the files' lines alike.
@Suite struct HistoryDownsamplingTests {
    static let start: Int64 = 1_737_023_400_000_000_000  // a whole minute
    static let web = ContainerIdentity(id: String(repeating: "a", count: 64), name: "web", serviceName: "web", projectName: "shop")
    static let db = ContainerIdentity(id: String(repeating: "b", count: 64), name: "db", serviceName: "db", projectName: nil)

    /// Ten minutes of both containers every second; CPU climbs by 0.1 a second, memory steps each minute.
    static func samples() -> [Sample] {
        (0..<600).flatMap { second -> [Sample] in
            [web, db].enumerated().map { i, identity in
                var s = Sample(container: identity, timestampNanos: start + Int64(second) * 1_000_000_000)
                // Digits beyond what a line keeps (two decimals): memory must fold what the files would hold.
                s.cpuPercent = Double(second) / 10 + Double(i) + 0.0037
                s.blockReadRate = Double(second % 2) * 0.06  // written 0.1 or 0.0
                s.memoryUsage = 100_000_000 + UInt64(second / 60) * 1_000_000
                s.memoryLimit = 1_000_000_000
                s.memoryPercent = Double(s.memoryUsage) / 1e7
                s.networkRxBytes = UInt64(second) * 1000
                s.networkRxRate = 1000
                s.networkTxRate = Double(second % 2) * 2000  // 0, 2000, 0, …: averages to 1000
                s.pids = 5
                s.psiCPU = i == 0 ? 1.5 : nil
                return s
            }
        }
    }

    static func objects(_ items: [HistoryItem]) throws -> [[String: Any]] {
        try items.map { item in
            var buffer = ByteBuffer()
            item.write(to: &buffer, precision: .seconds)
            return try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        }
    }

    static func stepped(_ items: [HistoryItem], stepSeconds: Int64) -> [HistoryItem] {
        let stepper = StepDownsampler(stepNanos: stepSeconds * 1_000_000_000, precision: .seconds)
        var source = items.makeIterator()
        var out: [HistoryItem] = []
        while let item = stepper.next(from: { source.next() }) { out.append(item) }
        return out
    }

    @Test func eachStepAveragesRatesAndKeepsTheNewestCountersAndGauges() throws {
        let newestFirst = Self.samples().reversed().map { HistoryItem.sample($0) }
        let records = try Self.objects(Self.stepped(Array(newestFirst), stepSeconds: 60))
        #expect(records.count == 20)  // 10 minutes × 2 containers
        // Newest step first; within a step, by container id.
        #expect(records[0]["container_name"] as? String == "web" && records[1]["container_name"] as? String == "db")
        #expect(records[0]["timestamp"] as? String == "2025-01-16T10:39:00Z")
        #expect(records.last?["timestamp"] as? String == "2025-01-16T10:30:00Z")
        let web = records[0]
        // Seconds 540…599: CPU 54.0…59.9, mean 56.95, max 59.9.
        #expect(web["cpu_percent"] as? Double == 56.95)
        #expect(web["cpu_percent_max"] as? Double == 59.9)
        #expect(web["memory_usage"] as? Int == 109_000_000)
        #expect(web["network_rx_bytes"] as? Int == 599_000)  // the counter's newest value
        #expect(web["network_tx_rate"] as? Double == 1000)  // the rate's mean
        #expect(web["samples"] as? Int == 60)
        #expect(web["psi_cpu_some_avg10"] as? Double == 1.5)
        #expect(web["project_name"] as? String == "shop")
        let db = records[1]
        #expect(db["cpu_percent"] as? Double == 57.95)
        #expect(db["psi_cpu_some_avg10"] is NSNull)  // never offered: null, not 0
        #expect(db["project_name"] is NSNull)
    }

    /// The same samples from memory and as the files' lines give the same bytes, though memory holds digits the
    /// lines round away.
    @Test func memoryAndFilesStepAlike() throws {
        let samples = Self.samples().reversed()
        let fromMemory = Self.stepped(samples.map { .sample($0) }, stepSeconds: 300)
        let fromFiles = Self.stepped(samples.map { s in
            var line = ByteBuffer()
            line.writeSampleJSON(s, precision: .seconds)
            return .stored(StoredRecord(timestampNanos: s.timestampNanos, line: line))
        }, stepSeconds: 300)
        func text(_ items: [HistoryItem]) -> [String] {
            items.map { item in
                var buffer = ByteBuffer()
                item.write(to: &buffer, precision: .seconds)
                return String(buffer: buffer)
            }
        }
        #expect(fromMemory.count == 4)
        #expect(text(fromMemory) == text(fromFiles))
    }

    /// Through the runtime: the store's lines, `limit` counting steps, a container's own steps only.
    @Test func theRuntimeStepsTheStoreAndLimitCountsSteps() throws {
        let history = MemoryHistoryStore(capacity: 10_000)
        history.write(Self.samples())
        let runtime = MonitoringRuntimeTests.runtime(history: history)
        let all = try runtime.samplePlan(HistoryRequest(sinceNanos: Self.start, limit: 1000, stepNanos: 120_000_000_000))
        var records = all.records()
        var items: [HistoryItem] = []
        while let item = records.next() { items.append(item) }
        #expect(items.count == 10)  // 5 steps of 2 minutes × 2 containers
        #expect(items.allSatisfy { if case .stepped(let r) = $0 { r.samples == 120 } else { false } })
        let limited = try runtime.samplePlan(
            HistoryRequest(containerRef: "web", sinceNanos: Self.start, limit: 3, stepNanos: 60_000_000_000))
        records = limited.records()
        items = []
        while let item = records.next() { items.append(item) }
        let objects = try Self.objects(items)
        #expect(objects.map { $0["timestamp"] as? String } == ["2025-01-16T10:39:00Z", "2025-01-16T10:38:00Z", "2025-01-16T10:37:00Z"])
        #expect(objects.allSatisfy { $0["container_name"] as? String == "web" })
    }

    /// A step of whole five minutes over a rolled-up window: the store's five-minute steps answer as far as it
    /// has written them, the raw lines after; at step=300 the answer is the one the raw lines give.
    @Test func rolledUpStepsAnswerAsTheRawLinesWould() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let now = Clocks.wallNanos() / 1_000_000_000 * 1_000_000_000
        let samples = (0..<7200).compactMap { back -> [Sample]? in
            let t = now - Int64(7200 - back) * 1_000_000_000
            return [Self.web, Self.db].enumerated().map { i, identity in
                var s = Sample(container: identity, timestampNanos: t)
                s.memoryPercent = Double((back * 7 + i * 13) % 1000) / 10
                s.memoryUsage = UInt64(back)
                s.pids = UInt64(back % 9)
                return s
            }
        }.flatMap { $0 }
        func answer(rollups: Bool, step: Int64) throws -> [String] {
            let directory = try MonitoringRuntimeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let store = JSONLStore(
                directory: directory, persistInterval: .seconds(1), retentionDays: 7, precision: { .seconds }, logger: logger)
            store.writeNow(samples)
            store.closeRollups()
            store.flush()
            if !rollups {
                // The rolled-up steps and their state: a store opening the directory reads the lines alone.
                for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasPrefix("rollup300") {
                    try FileManager.default.removeItem(atPath: directory + "/" + name)
                }
            }
            let reader = JSONLStore(
                directory: directory, persistInterval: .seconds(1), retentionDays: 7, precision: { .seconds }, logger: logger)
            #expect((reader.rolledUpSteps()?.contains(RollupWriter.stepStart(now - 7_200_000_000_000)) ?? false) == rollups)
            let layout = CgroupLayout(mode: .v2, root: "/nonexistent", controllers: [:], unified: "/nonexistent")
            let collection = CollectorService(
                collector: Collector(options: .init(layout: layout), logger: logger), interval: .seconds(1), logger: logger)
            let runtime = MonitoringRuntime(
                collection: collection, thresholds: ThresholdTable(), alerts: AlertLog(), history: reader, storagePath: directory,
                retentionDays: 7, logger: logger)
            let records = try runtime.samplePlan(
                HistoryRequest(sinceNanos: now - 7_200_000_000_000, limit: 10_000, stepNanos: step * 1_000_000_000)).records()
            var out: [String] = []
            while let item = records.next() {
                var buffer = ByteBuffer()
                item.write(to: &buffer, precision: .seconds)
                out.append(String(buffer: buffer))
            }
            return out
        }
        let raw = try answer(rollups: false, step: 300)
        let rolled = try answer(rollups: true, step: 300)
        #expect(raw.count >= 48 && raw.count <= 50)  // 2 h of 2 containers in 5-minute steps (24 or 25 each)
        let firstDifference = raw.indices.first { $0 >= rolled.count || raw[$0] != rolled[$0] }
        #expect(rolled.count == raw.count && firstDifference == nil,
                "\(rolled.count) against \(raw.count); first difference at \(firstDifference ?? -1): \(firstDifference.map { "\n\(raw[$0].prefix(200))\n\($0 < rolled.count ? String(rolled[$0].prefix(200)) : "-")" } ?? "none")")
        // Longer steps fold several rolled-up steps by their samples: the same within the last rounded digit.
        let raw1h = try Self.objects(from: answer(rollups: false, step: 3600))
        let rolled1h = try Self.objects(from: answer(rollups: true, step: 3600))
        #expect(raw1h.count == rolled1h.count)
        for (a, b) in zip(raw1h, rolled1h) {
            #expect(a["timestamp"] as? String == b["timestamp"] as? String)
            #expect(a["samples"] as? Int == b["samples"] as? Int)
            #expect(abs((a["memory_percent"] as? Double ?? -1) - (b["memory_percent"] as? Double ?? -2)) <= 0.011)
            #expect(a["memory_usage"] as? Int == b["memory_usage"] as? Int)
            #expect(a["memory_percent_max"] as? Double == b["memory_percent_max"] as? Double)
        }
    }

    static func objects(from lines: [String]) throws -> [[String: Any]] {
        try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func aLinesNumbersAreReadAsWritten() {
        func number(_ text: String) -> MetricValue {
            Array(text.utf8).withUnsafeBytes { StepAccumulator.Line.number($0) }
        }
        #expect(number("null") == .absent)
        #expect(number("12") == .integer(12))
        #expect(number("18446744073709551616") == .integer(.max))  // saturates, never traps
        #expect(number("12.5") == .decimal(12.5))
        #expect(number("-0.25") == .decimal(-0.25))
        #expect(number("1e3") == .decimal(1000))
        #expect(number("12.5x") == .absent)
    }
}
