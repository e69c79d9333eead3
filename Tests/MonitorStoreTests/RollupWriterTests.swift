import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import NIOCore
import Testing

@testable import MonitorStore

/// The store's five-minute steps (`rollup300_…` files), folded from the lines it writes.
@Suite final class RollupWriterTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wakedock-rollup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    static let start: Int64 = 1_737_023_400_000_000_000  // 2025-01-16T10:30:00Z, a step's start

    @Test func twentyMinutesOfTwoContainersGiveFourStepsEach() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = JSONLStore(directory: directory, persistInterval: .seconds(1), retentionDays: 7, precision: { .seconds }, logger: logger)
        let identities = [ContainerIdentity(id: String(repeating: "a", count: 64), name: "web"),
                          ContainerIdentity(id: String(repeating: "b", count: 64), name: "db")]
        for minute in 0..<20 {
            store.writeNow((0..<60).flatMap { second -> [Sample] in
                let t = minute * 60 + second
                return identities.map { identity in
                    var s = Sample(container: identity, timestampNanos: Self.start + Int64(t) * 1_000_000_000)
                    // (Not CPU %: the store rewrites rates over each persistence period from the counters.)
                    s.memoryPercent = Double(t % 300) / 10  // 0.0 … 29.9 within each step: mean 14.95, max 29.9
                    s.memoryUsage = UInt64(1000 + t)
                    return s
                }
            })
        }
        store.closeRollups()
        store.flush()
        let text = try String(contentsOfFile: directory + "/rollup300_2025-01-16.jsonl", encoding: .utf8)
        let records = text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.count == 8)
        for record in records {
            #expect(record["samples"] as? Int == 300)
            #expect(record["memory_percent"] as? Double == 14.95)
            #expect(record["memory_percent_max"] as? Double == 29.9)
        }
        let web = records.filter { $0["container_name"] as? String == "web" }
        #expect(web.map { $0["timestamp"] as? String } == ["2025-01-16T10:30:00Z", "2025-01-16T10:35:00Z", "2025-01-16T10:40:00Z", "2025-01-16T10:45:00Z"])
        #expect(web.map { $0["memory_usage"] as? Int } == [1299, 1599, 1899, 2199])  // each step's newest
    }

    /// A step cut by a restart is written in two parts; folded by their samples they make the whole step.
    @Test func twoPartsOfAStepFoldIntoTheWhole() {
        var whole = StepAccumulator(stepStartNanos: Self.start)
        func line(_ text: String) -> StepAccumulator.Line {
            Array(text.utf8).withUnsafeBytes { StepAccumulator.Line(HistoryLine($0)) }
        }
        whole.add(line(#"{"container_id":"x","container_name":"x","cpu_percent":10.0,"cpu_percent_max":12.0,"samples":100}"#), at: Self.start, newestFirst: false)
        whole.add(line(#"{"container_id":"x","container_name":"x","cpu_percent":20.0,"cpu_percent_max":40.0,"samples":300}"#), at: Self.start + 1, newestFirst: false)
        let record = whole.record()
        #expect(record?.samples == 400)
        #expect(record?.cpuPercentMax == 40)
        if case .decimal(let mean) = record?.values[StepAggregation.cpuPercent] { #expect(mean == 17.5) } else { Issue.record("no mean") }
    }

    /// Equal timestamps: the newest is the first of a newest-first stream, the last of an oldest-first one; and a
    /// damaged count cannot overflow the sums.
    @Test func tiesFollowTheFeedingOrderAndHugeCountsAreCapped() {
        func line(_ text: String) -> StepAccumulator.Line {
            Array(text.utf8).withUnsafeBytes { StepAccumulator.Line(HistoryLine($0)) }
        }
        let newer = line(#"{"container_id":"x","container_name":"x","memory_usage":2}"#)
        let older = line(#"{"container_id":"x","container_name":"x","memory_usage":1}"#)
        var newestFirst = StepAccumulator(stepStartNanos: Self.start)
        newestFirst.add(newer, at: Self.start, newestFirst: true)
        newestFirst.add(older, at: Self.start, newestFirst: true)
        #expect(newestFirst.record()?.values[StepAggregation.indexByKey["memory_usage"]!] == .integer(2))
        var oldestFirst = StepAccumulator(stepStartNanos: Self.start)
        oldestFirst.add(older, at: Self.start, newestFirst: false)
        oldestFirst.add(newer, at: Self.start, newestFirst: false)
        #expect(oldestFirst.record()?.values[StepAggregation.indexByKey["memory_usage"]!] == .integer(2))
        var huge = StepAccumulator(stepStartNanos: Self.start)
        let damaged = line(#"{"container_id":"x","container_name":"x","cpu_percent":1.0,"samples":9223372036854775807}"#)
        for _ in 0..<3 { huge.add(damaged, at: Self.start, newestFirst: false) }
        #expect(huge.record()?.samples == 3 << 40)
    }
}
