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

    static let second: Int64 = 1_000_000_000
    static let identities = [ContainerIdentity(id: String(repeating: "a", count: 64), name: "web"),
                             ContainerIdentity(id: String(repeating: "b", count: 64), name: "db")]

    func store() -> JSONLStore {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return JSONLStore(directory: directory, persistInterval: .seconds(1), retentionDays: 7, precision: { .seconds }, logger: logger)
    }

    /// `seconds` of both containers from `start + from` seconds, a line a second, written as the store persists.
    static func write(_ store: JSONLStore, from: Int = 0, seconds: Int) {
        for minute in stride(from: from, to: from + seconds, by: 60) {
            store.writeNow((minute..<min(minute + 60, from + seconds)).flatMap { t -> [Sample] in
                identities.map { identity in
                    var s = Sample(container: identity, timestampNanos: start + Int64(t) * second)
                    // (Not CPU %: the store rewrites rates over each persistence period from the counters.)
                    s.memoryPercent = Double(t % 300) / 10  // 0.0 … 29.9 within each step: mean 14.95, max 29.9
                    s.memoryUsage = UInt64(1000 + t)
                    return s
                }
            })
        }
    }

    func rollups() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: directory + "/rollup300_2025-01-16.jsonl", encoding: .utf8)
        return text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func twentyMinutesOfTwoContainersGiveFourStepsEach() throws {
        let store = store()
        Self.write(store, seconds: 1200)
        store.closeRollups()
        store.flush()
        let records = try rollups()
        #expect(records.count == 8)
        for record in records {
            #expect(record["samples"] as? Int == 300)
            #expect(record["memory_percent"] as? Double == 14.95)
            #expect(record["memory_percent_max"] as? Double == 29.9)
        }
        let web = records.filter { $0["container_name"] as? String == "web" }
        #expect(web.map { $0["timestamp"] as? String } == ["2025-01-16T10:30:00Z", "2025-01-16T10:35:00Z", "2025-01-16T10:40:00Z", "2025-01-16T10:45:00Z"])
        #expect(web.map { $0["memory_usage"] as? Int } == [1299, 1599, 1899, 2199])  // each step's newest
        // Every step is on disk, the last line's too; queries read all but that last one from the steps (a restart
        // may add to it: the lines answer for it).
        #expect(store.rolledUpSteps() == Self.start..<(Self.start + 900 * Self.second))
        #expect(RollupState.load(directory: directory, nowNanos: Self.start + 86_400 * Self.second) == RollupState(sinceNanos: Self.start, foldedBeforeNanos: Self.start + 1199 * Self.second + 1))
    }

    /// The step being filled is not on disk: queries read the rolled-up steps before it only, and the state on
    /// disk says the same (the watermark a crash restarts from).
    @Test func theStepBeingFilledIsNotReadable() throws {
        let store = store()
        Self.write(store, seconds: 720)  // 10:30 … 10:41:59: two steps closed, the third open
        #expect(store.rolledUpSteps() == Self.start..<(Self.start + 600 * Self.second))
        #expect(RollupState.load(directory: directory, nowNanos: Self.start + 86_400 * Self.second)?.foldedBeforeNanos == Self.start + 600 * Self.second)
        #expect(try rollups().count == 4)
    }

    /// A disk that refuses the rolled-up steps holds the watermark back until it takes them.
    @Test func aRefusedStepHoldsTheWatermark() throws {
        let store = store()
        Self.write(store, seconds: 290)
        let file = directory + "/rollup300_2025-01-16.jsonl"
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)  // open(2): EISDIR
        Self.write(store, from: 290, seconds: 320)  // closes 10:30, opens and closes 10:35, opens 10:40
        #expect(store.statistics.failing)
        #expect(store.rolledUpSteps() == nil)
        #expect(RollupState.load(directory: directory, nowNanos: Self.start + 86_400 * Self.second)?.foldedBeforeNanos == Self.start)
        try FileManager.default.removeItem(atPath: file)
        store.flush()
        #expect(!store.statistics.failing)
        #expect(store.rolledUpSteps() == Self.start..<(Self.start + 600 * Self.second))
        #expect(try rollups().count == 4)
    }

    /// After a crash (no shutdown: the open step never written), the next start folds the lines from the
    /// watermark on: every step once, none lost, none twice.
    @Test func aCrashedRunsOpenStepIsFoldedAgainAtStart() throws {
        do {
            let crashed = store()
            Self.write(crashed, seconds: 720)
        }
        let next = store()
        next.recoverRollups()
        let records = try rollups()
        #expect(records.count == 6)
        let web = records.filter { $0["container_name"] as? String == "web" }
        #expect(web.map { $0["samples"] as? Int } == [300, 300, 120])
        #expect(web.map { $0["memory_usage"] as? Int } == [1299, 1599, 1719])
        #expect(web.last?["memory_percent_max"] as? Double == 11.9)
        #expect(next.rolledUpSteps() == Self.start..<(Self.start + 600 * Self.second))
        #expect(RollupState.load(directory: directory, nowNanos: Self.start + 86_400 * Self.second)?.foldedBeforeNanos == Self.start + 719 * Self.second + 1)
        // Nothing left to fold: a second start writes nothing.
        store().recoverRollups()
        #expect(try rollups().count == 6)
    }

    /// A wall clock gone back across a step, while running or while stopped: the steps it went back over could
    /// be written twice, so no query reads them; the rolled-up steps begin anew after them.
    @Test func aClockGoneBackRestartsTheRolledUpSteps() throws {
        let running = store()
        Self.write(running, seconds: 720)
        #expect(running.rolledUpSteps() == Self.start..<(Self.start + 600 * Self.second))
        Self.write(running, from: 60, seconds: 10)  // back to 10:31
        #expect(running.rolledUpSteps() == nil)
        #expect(RollupState.load(directory: directory, nowNanos: Self.start) == RollupState(
            sinceNanos: Self.start + 900 * Self.second, foldedBeforeNanos: Self.start + 900 * Self.second))
        running.closeRollups()
        running.flush()

        try FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let before = store()
        Self.write(before, seconds: 720)
        before.closeRollups()
        before.flush()
        let after = store()
        Self.write(after, from: 60, seconds: 10)
        #expect(after.rolledUpSteps() == nil)
        #expect(RollupState.load(directory: directory, nowNanos: Self.start)?.sinceNanos == Self.start + 900 * Self.second)
    }

    /// A state that cannot be true (a mark in the future, since after the mark) is not believed.
    @Test func anImpossibleStateIsIgnored() throws {
        for state in [#"{"since_nanos":1,"folded_before_nanos":9000000000000000000}"#,
                      #"{"since_nanos":900,"folded_before_nanos":100}"#, "{}", "garbage"] {
            try state.write(toFile: directory + "/" + RollupState.fileName, atomically: false, encoding: .utf8)
            #expect(RollupState.load(directory: directory, nowNanos: Self.start) == nil, "\(state)")
        }
        let store = store()
        Self.write(store, seconds: 600)
        #expect(store.rolledUpSteps() == Self.start..<(Self.start + 300 * Self.second))
    }

    /// History written before rollups began (another version, or a lost state): the step it may share with the
    /// first rolled-up line is left to the lines.
    @Test func rollupsBeginAtTheFirstWholeStep() throws {
        let old = "{\"container_id\":\"\(String(repeating: "c", count: 64))\",\"timestamp\":\"2025-01-16T10:30:05Z\"}\n"
        try old.write(toFile: directory + "/metrics_2025-01-16.jsonl", atomically: false, encoding: .utf8)
        let store = store()
        Self.write(store, from: 10, seconds: 600)
        #expect(store.rolledUpSteps() == (Self.start + 300 * Self.second)..<(Self.start + 600 * Self.second))
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
