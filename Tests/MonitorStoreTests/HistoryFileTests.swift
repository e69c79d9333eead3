import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import NIOCore
import Testing

@testable import MonitorStore

/// The history reader's parts on real files in a temporary directory: names, timestamps, gzip members and
/// their index, and reading newest first with the window's cut.
@Suite final class HistoryFileTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wakedock-history-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A sample-like line at `seconds` past 2025-01-16T00:00:00Z.
    static func line(_ seconds: Int, id: String = "c1") -> String {
        var stamp = ByteBuffer()
        stamp.writeRFC3339(nanos: (Int64(20_104) * 86_400 + Int64(seconds)) * 1_000_000_000, precision: .milliseconds)
        return #"{"container_id":"\#(id)","container_name":"n\#(id)","timestamp":"\#(String(buffer: stamp))","cpu_percent":1.0}"# + "\n"
    }

    static func nanos(_ seconds: Int) -> Int64 { (Int64(20_104) * 86_400 + Int64(seconds)) * 1_000_000_000 }

    func readAll(since: Int64 = .min) -> [Int64] {
        let records = StoredRecords(directory: directory, prefix: "metrics", filter: StoredRecordFilter(sinceNanos: since))
        var out: [Int64] = []
        while let r = records.next() { out.append(r.timestampNanos) }
        return out
    }

    @Test func fileNamesRoundTripAndSortByTime() {
        for name in ["metrics_2025-01-16.jsonl", "alerts_2025-01-16.3.jsonl.gz", "metrics_2025-12-31.12.jsonl.gz.idx"] {
            #expect(HistoryFileName(name)?.name == name)
        }
        for name in ["metrics_2025-13-01.jsonl", "notes_2025-01-16.jsonl", "metrics_2025-01-16.0.jsonl", "metrics_2025-01-16.txt"] {
            #expect(HistoryFileName(name) == nil)
        }
        #expect(HistoryFileName("metrics_2025-01-16.jsonl")?.day == 20_104)
        let open = HistoryFileName("metrics_2025-01-16.jsonl")!, part = HistoryFileName("metrics_2025-01-16.9.jsonl.gz")!
        #expect(part.timeOrder < open.timeOrder)
    }

    @Test func timestampsParseBackToWhatTheEncoderWrote() {
        for nanos: Int64 in [0, 1_737_023_400_123_000_000, 4_102_444_799_999_000_000] {
            for precision in [TimestampPrecision.seconds, .milliseconds] {
                var b = ByteBuffer()
                b.writeRFC3339(nanos: nanos, precision: precision)
                let parsed = b.withUnsafeReadableBytes { HistoryLine.parseRFC3339($0) }
                let resolution: Int64 = precision == .seconds ? 1_000_000_000 : 1_000_000
                #expect(parsed?.nanos == nanos - nanos % resolution)
                #expect(parsed?.resolution == resolution)
            }
        }
        let bad = "2025-01-16 10:30:00"
        #expect(bad.utf8.withContiguousStorageIfAvailable { HistoryLine.parseRFC3339(UnsafeRawBufferPointer($0)) } ?? nil == nil)
    }

    @Test func gzipMembersAreIndexedAndReadNewestFirst() throws {
        // 30,000 lines (~3.5 MB): several 1 MiB members.
        let plain = directory + "/metrics_2025-01-16.1.jsonl"
        try (0..<30_000).map { Self.line($0) }.joined().write(toFile: plain, atomically: false, encoding: .utf8)
        let (raw, compressed) = try GzipHistoryFile.compress(plainPath: plain)
        #expect(!FileManager.default.fileExists(atPath: plain))
        #expect(compressed * 5 < raw)
        let members = try #require(GzipHistoryFile.readIndex(gzPath: plain + ".gz", gzSize: compressed))
        #expect(members.count >= 3)
        #expect(members.first?.firstNanos == Self.nanos(0) && members.last?.lastNanos == Self.nanos(29_999))
        #expect(readAll() == (0..<30_000).reversed().map { Self.nanos($0) })
        // A window that starts in the last member reads only that member's lines back to the cut.
        #expect(readAll(since: Self.nanos(29_990)) == (29_990..<30_000).reversed().map { Self.nanos($0) })
    }

    @Test func aTruncatedGzipWithoutIndexYieldsWhatCameBeforeTheCut() throws {
        let plain = directory + "/metrics_2025-01-16.1.jsonl"
        try (0..<30_000).map { Self.line($0) }.joined().write(toFile: plain, atomically: false, encoding: .utf8)
        let (_, compressed) = try GzipHistoryFile.compress(plainPath: plain)
        try FileManager.default.removeItem(atPath: plain + ".gz.idx")
        let fd = open(plain + ".gz", O_WRONLY)
        ftruncate(fd, off_t(compressed / 2))
        close(fd)
        let read = readAll()
        #expect(read.count > 5_000 && read.count < 30_000)
        #expect(read.last == Self.nanos(0))
        #expect(read == read.sorted(by: >))
    }

    @Test func plainFilesAreReadBackwardsAcrossBlocksAndPartsInTimeOrder() throws {
        // Part 1 (older) and the open file (newer); the open file ends in a torn line.
        try (0..<20_000).map { Self.line($0) }.joined().write(
            toFile: directory + "/metrics_2025-01-16.1.jsonl", atomically: false, encoding: .utf8)
        try ((20_000..<40_000).map { Self.line($0) }.joined() + #"{"container_id":"c1","timest"#).write(
            toFile: directory + "/metrics_2025-01-16.jsonl", atomically: false, encoding: .utf8)
        #expect(readAll() == (0..<40_000).reversed().map { Self.nanos($0) })
    }

    @Test func oneContainersLinesAreFoundAcrossBlocks() throws {
        // 3 containers interleaved over ~4.5 MB of plain file and a compressed part: only "c2"'s, newest first.
        try (0..<20_000).map { Self.line($0, id: "c\($0 % 3)") }.joined().write(
            toFile: directory + "/metrics_2025-01-16.1.jsonl", atomically: false, encoding: .utf8)
        _ = try GzipHistoryFile.compress(plainPath: directory + "/metrics_2025-01-16.1.jsonl")
        try (20_000..<40_000).map { Self.line($0, id: "c\($0 % 3)") }.joined().write(
            toFile: directory + "/metrics_2025-01-16.jsonl", atomically: false, encoding: .utf8)
        var filter = StoredRecordFilter(sinceNanos: Self.nanos(100))
        filter.containerID = "c2"
        let records = StoredRecords(directory: directory, prefix: "metrics", filter: filter)
        var seen: [Int64] = []
        while let r = records.next() { seen.append(r.timestampNanos) }
        #expect(seen == (100..<40_000).filter { $0 % 3 == 2 }.reversed().map { Self.nanos($0) })
    }

    @Test func recordsHeldInMemoryAreNotReadTwice() throws {
        try (0..<100).map { Self.line($0, id: $0 % 2 == 0 ? "even" : "odd") }.joined().write(
            toFile: directory + "/metrics_2025-01-16.jsonl", atomically: false, encoding: .utf8)
        var filter = StoredRecordFilter(sinceNanos: .min)
        // Memory holds "even" from second 50 on, with full nanosecond times (the file's are truncated to ms).
        filter.inMemorySince["even"] = Self.nanos(50) + 123_456
        let records = StoredRecords(directory: directory, prefix: "metrics", filter: filter)
        var seen: [Int64] = []
        while let r = records.next() { seen.append(r.timestampNanos) }
        let expected = (0..<100).filter { $0 % 2 == 1 || $0 < 50 }.reversed().map { Self.nanos($0) }
        #expect(seen == expected)
    }

    @Test func wholeLinesAreToldFromTornOnes() {
        func whole(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { HistoryLine($0).isWhole }
        }
        let line = Self.line(1).dropLast()  // without its newline
        #expect(whole(String(line)))
        #expect(!whole(String(line.prefix(30))))  // cut short
        #expect(!whole(String(line.dropFirst(5))))  // a tail
        #expect(!whole(String(line.prefix(30)) + String(line)))  // a piece glued to the next line
        #expect(!whole(""))
        #expect(!whole("{}"))
    }

    @Test func startUpRepairRemovesATornLineInTheMiddle() throws {
        let good = (0..<6).map { Self.line($0) }
        let torn = String(good[2].prefix(25)) + good[3]
        let path = directory + "/metrics_2025-01-16.jsonl"
        try (good[0] + good[1] + torn + good[4] + good[5]).write(toFile: path, atomically: false, encoding: .utf8)
        let repaired = FileMaintenance.repairTornLines(directory: directory, logger: .init(label: "test"))
        #expect(repaired == ["metrics_2025-01-16.jsonl"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == good[0] + good[1] + good[4] + good[5])
        #expect(readAll() == [5, 4, 1, 0].map(Self.nanos))
    }
}

/// Which ticks the store persists: with a persistence interval equal to the collection interval, every tick,
/// whatever the scheduling jitter; with a longer one, the tick nearest to each interval's end.
@Suite struct PersistencePacingTests {
    /// Ticks at `walls` (milliseconds); the ones persisted with `interval` (milliseconds).
    func persisted(_ walls: [Int64], interval: Int64) -> [Int64] {
        var previous: Int64 = 0
        var last: Int64 = 0
        var kept: [Int64] = []
        for wall in walls {
            let now = wall * 1_000_000
            if JSONLStore.isDue(tick: now, previousTick: previous, lastPersisted: last, interval: interval * 1_000_000) {
                last = now
                kept.append(wall)
            }
            previous = now
        }
        return kept
    }

    @Test func equalIntervalsPersistEveryTickDespiteJitter() {
        // One tick 8 ms late, the next on time: the gap between them is 992 ms.
        let walls: [Int64] = [100_000, 101_000, 102_008, 103_000, 104_030, 105_000, 105_990]
        #expect(persisted(walls, interval: 1000) == walls)
    }

    @Test func longerIntervalsKeepTheTickNearestToEachEnd() {
        // A tick a second, every third one 20 ms late; persisted every 5 s.
        let walls: [Int64] = (0..<21).map { (n: Int64) -> Int64 in 100_000 + n * 1000 + (n % 3 == 0 ? 20 : 0) }
        #expect(persisted(walls, interval: 5000).map { $0 / 1000 } == [100, 105, 110, 115, 120])
    }

    @Test func clockSurprisesNeitherTrapNorStopPersistence() {
        // The wall clock stepped back an hour, then forward a day.
        let walls: [Int64] = [1_000_000, 1_001_000, -2_600_000, -2_599_000, 87_000_000, 87_001_000]
        #expect(persisted(walls, interval: 1000) == walls)
        // Times at both ends of Int64 (plain + and - would trap on these).
        #expect(JSONLStore.isDue(tick: .max, previousTick: .min, lastPersisted: .min, interval: .max))
        #expect(JSONLStore.isDue(tick: .min, previousTick: .max, lastPersisted: .max, interval: .max))
        #expect(!JSONLStore.isDue(tick: .max, previousTick: .max - 1, lastPersisted: .max - 10, interval: .max))
    }
}

/// A persisted line's rates over its whole persistence period, from the counters (SPEC §7).
@Suite struct PeriodRatesTests {
    let web = ContainerIdentity(id: String(repeating: "a", count: 64), name: "web")
    let db = ContainerIdentity(id: String(repeating: "b", count: 64), name: "db")

    /// A sample at `seconds` whose own (last-slice) rates are 100 % and 1,000 B/s, whatever the counters say.
    func sample(_ who: ContainerIdentity, at seconds: Int64, cpu: UInt64, bytes: UInt64) -> Sample {
        var s = Sample(container: who, timestampNanos: seconds * 1_000_000_000)
        s.cpuUsageNanos = cpu
        s.networkRxBytes = bytes
        s.networkTxBytes = bytes * 2
        s.blockReadBytes = bytes * 3
        s.blockWriteBytes = bytes * 4
        s.cpuPercent = 100
        s.networkRxRate = 1000
        s.networkTxRate = 1000
        s.blockReadRate = 1000
        s.blockWriteRate = 1000
        return s
    }

    @Test func ratesCoverThePeriodNotTheLastSlice() {
        var rates = PeriodRates()
        var first = [sample(web, at: 100, cpu: 1_000_000_000, bytes: 10_000)]
        rates.apply(to: &first)
        #expect(first[0].cpuPercent == 100 && first[0].networkRxRate == 1000)  // no period yet: its own
        // Two seconds later, half a core used over them and 4,000 bytes received.
        var second = [sample(web, at: 102, cpu: 2_000_000_000, bytes: 14_000)]
        rates.apply(to: &second)
        #expect(second[0].cpuPercent == 50)
        #expect(second[0].networkRxRate == 2000 && second[0].networkTxRate == 4000)
        #expect(second[0].blockReadRate == 6000 && second[0].blockWriteRate == 8000)
    }

    @Test func aRestartOrAClockThatDidNotMoveKeepsTheSamplesOwnRates() {
        var rates = PeriodRates()
        var lines = [sample(web, at: 100, cpu: 5_000_000_000, bytes: 10_000), sample(db, at: 100, cpu: 0, bytes: 0)]
        rates.apply(to: &lines)
        // web restarted (counters back near 0); db's clock stepped back.
        lines = [sample(web, at: 101, cpu: 1_000, bytes: 5), sample(db, at: 99, cpu: 10, bytes: 10)]
        rates.apply(to: &lines)
        for line in lines {
            #expect(line.cpuPercent == 100 && line.networkRxRate == 1000 && line.blockWriteRate == 1000)
        }
        // And the next period is measured from the restart.
        var next = [sample(web, at: 102, cpu: 500_001_000, bytes: 1005)]
        rates.apply(to: &next)
        #expect(next[0].cpuPercent == 50 && next[0].networkRxRate == 1000)
    }

    @Test func aContainerBackAfterAnAbsenceStartsWithItsOwnRates() {
        var rates = PeriodRates()
        var both = [sample(web, at: 100, cpu: 0, bytes: 0), sample(db, at: 100, cpu: 0, bytes: 0)]
        rates.apply(to: &both)
        var dbOnly = [sample(db, at: 101, cpu: 0, bytes: 0)]  // web stopped
        rates.apply(to: &dbOnly)
        // web again, same id, its new counters just above the old ones: not a rate over its downtime.
        var back = [sample(web, at: 200, cpu: 1_000_000_000, bytes: 50)]
        rates.apply(to: &back)
        #expect(back[0].cpuPercent == 100 && back[0].networkRxRate == 1000)
    }

    @Test func blockRatesSpanTheCountersOwnReadTimes() {
        var rates = PeriodRates()
        // Block counters are read once a second: 0.3 s before the first line, 0.7 s before the second.
        var first = [sample(web, at: 100, cpu: 0, bytes: 1000)]
        first[0].blockCountersAgeNanos = 300_000_000
        rates.apply(to: &first)
        var second = [sample(web, at: 101, cpu: 0, bytes: 2000)]
        second[0].blockCountersAgeNanos = 700_000_000
        rates.apply(to: &second)
        #expect(second[0].networkRxRate == 1000)  // over the line's second
        #expect(abs(second[0].blockReadRate - 3000 / 0.6) < 1e-6)  // over the 0.6 s between the block reads
    }
}
