import CSupport
import Foundation
@testable import MonitorCore
import Testing

/// Each file at the rate it changes: which rows of the table come due at a given tick interval, and what the
/// collector then reports (slow files carried between reads, read at once on a Docker `update`).
@Suite struct ReadCadenceTests {
    /// How many times each row of the standard table is read over `seconds` of ticks every `interval` ms,
    /// with every third tick 7 ms late.
    func readsPerRow(interval: UInt64, seconds: UInt64) -> [Int] {
        var cadence = ReadCadence.standard
        var counts = Array(repeating: 0, count: cadence.rows.count)
        let start: UInt64 = 5_000_000_000
        for n in 0..<(seconds * 1000 / interval) {
            let mask = cadence.due(at: start + n * interval * 1_000_000 + (n % 3 == 1 ? 7_000_000 : 0))
            for (i, row) in cadence.rows.enumerated() where mask & row.files == row.files { counts[i] += 1 }
        }
        return counts
    }

    @Test func atATenthOfASecondSlowFilesAreReadOnceASecondAndPressureEveryTwo() {
        #expect(readsPerRow(interval: 100, seconds: 10) == [100, 10, 5])
    }

    @Test func atOneSecondEverythingButPressureIsReadEveryTick() {
        #expect(readsPerRow(interval: 1000, seconds: 10) == [10, 10, 5])
    }

    @Test func atFiveSecondsEveryFileIsReadEveryTick() {
        #expect(readsPerRow(interval: 5000, seconds: 30) == [6, 6, 6])
    }

    /// Ten staggered copies at 0.1 s: each reads its once-a-second files once a second, and from the first
    /// second on exactly one copy does so per tick (a tenth of the containers), so no tick carries them all.
    @Test func staggeredCopiesSpreadTheSlowReadsOverTheSecond() {
        var copies = ReadCadence.standard.staggered(into: 10)
        let slow = ReadCadence.standard.rows[1].files
        var perCopy = Array(repeating: 0, count: 10)
        var perTick: [Int] = []
        let start: UInt64 = 5_000_000_000
        for n in 0..<100 as Range<UInt64> {
            var dueHere = 0
            for k in copies.indices where copies[k].due(at: start + n * 100_000_000 + (n % 3 == 1 ? 7_000_000 : 0)) & slow == slow {
                perCopy[k] += 1
                dueHere += 1
            }
            perTick.append(dueHere)
        }
        // Copy 0 reads on the first tick, the others a k-tenths-shortened first period later: 10 reads each
        // (copy 0's eleventh falls on tick 100, after the run).
        #expect(perCopy == Array(repeating: 10, count: 10))
        #expect(perTick.dropFirst(10).allSatisfy { $0 == 1 }, "\(perTick)")
        #expect(perTick.prefix(10).reduce(0, +) == 10)
    }

    /// The daemon misses ticks (a stall: the first read of 1,000 cgroups, a host under load) and runs some late.
    /// The copies must come back to one per tick afterwards: each copy's reads stay anchored to its own phase.
    /// (Reading "a period since the last read" let a stall make several copies due on one tick and keep them
    /// together from then on: at 1,000 cgroups one tick in ten read ~half the containers' slow files, 17 ms
    /// against 10, and that tick was the p99.)
    @Test func staggeredCopiesStayApartAfterMissedAndLateTicks() {
        var copies = ReadCadence.standard.staggered(into: 10)
        let slow = ReadCadence.standard.rows[1].files
        var perTick: [Int] = []
        var perCopyInSteadyState = Array(repeating: 0, count: 10)
        let start: UInt64 = 5_000_000_000
        for n in 0..<200 as Range<UInt64> {
            // Ticks 16–18 and 53–55 missed (the next runs on the grid), tick 37 60 ms late, tick 71 45 ms late.
            if (16...18).contains(n) || (53...55).contains(n) { perTick.append(-1); continue }
            let late: UInt64 = n == 37 ? 60_000_000 : n == 71 ? 45_000_000 : n % 3 == 1 ? 7_000_000 : 0
            var dueHere = 0
            for k in copies.indices where copies[k].due(at: start + n * 100_000_000 + late) & slow == slow {
                dueHere += 1
                if n >= 100 { perCopyInSteadyState[k] += 1 }
            }
            perTick.append(dueHere)
        }
        #expect(perTick.dropFirst(80).allSatisfy { $0 == 1 }, "\(perTick)")
        #expect(perCopyInSteadyState == Array(repeating: 10, count: 10))
    }

    /// Longer gaps: a pause of 3.1 s (monitoring stopped and started, a host stall), and ticks every 5 s then
    /// every 0.1 s (the interval changed by POST /config). One copy per tick again from the first tick back.
    @Test(arguments: [[UInt64(3_100_000_000)], [5_000_000_000, 5_000_000_000, 5_000_000_000]])
    func staggeredCopiesStayApartAfterLongGaps(gaps: [UInt64]) {
        var copies = ReadCadence.standard.staggered(into: 10)
        let slow = ReadCadence.standard.rows[1].files
        var now: UInt64 = 5_000_000_000
        func tick() -> Int { copies.indices.filter { copies[$0].due(at: now) & slow == slow }.count }
        for _ in 0..<30 {
            _ = tick()
            now += 100_000_000
        }
        for gap in gaps {
            _ = tick()
            now += gap
        }
        // Back on a 0.1 s grid (the daemon's ticks keep to theirs), every third tick 7 ms late.
        let grid = now
        var perTick: [Int] = []
        for n in 0..<60 as Range<UInt64> {
            now = grid + n * 100_000_000 + (n % 3 == 1 ? 7_000_000 : 0)
            perTick.append(tick())
        }
        // Every copy was overdue: all read on the first tick back, then each at its own tick of the second.
        #expect(perTick.first == 10)
        #expect(perTick.dropFirst().allSatisfy { $0 == 1 }, "\(perTick)")
    }

    @Test func theTableCoversEveryFileOnce() {
        let rows = ReadCadence.standard.rows
        #expect(rows.reduce(0) { $0 | $1.files } == wd_file_kind.allBits)
        #expect(rows.map { $0.files.nonzeroBitCount }.reduce(0, +) == wd_file_kind.allBits.nonzeroBitCount)
        #expect(rows[0].files & SampleDerivation.essentialMask == SampleDerivation.essentialMask)
    }

    // MARK: The collector on the hand-written v2 tree, on a simulated clock

    let t0: UInt64 = 1_000_000_000_000
    func ms(_ n: UInt64) -> UInt64 { t0 + n * 1_000_000 }

    func collector(on tree: FixtureTree) throws -> (Collector, CapturingSink) {
        let layout = try CgroupLayout.detect(root: tree.cgroupRoot, mountinfo: nil)
        let collector = Collector(options: .init(layout: layout, procRoot: tree.procRoot, ringCapacity: 8), logger: testLogger)
        let sink = CapturingSink()
        collector.add(sink: sink)
        collector.inbox.post(.replaceAll(CgroupScanner(layout: layout).scan()))
        return (collector, sink)
    }

    /// memory.stat's inactive_file, memory.max and cpu.pressure's avg10 change, and memory.current a little
    /// (84,800 bytes: under the move that makes memory.stat be read at once).
    func changeEverything(in tree: FixtureTree) throws {
        try tree.write("209800000\n", to: "memory.current")
        let stat = try String(contentsOfFile: tree.containerDir + "/memory.stat", encoding: .utf8)
        try tree.write(stat.replacingOccurrences(of: "inactive_file 41943040", with: "inactive_file 10485760"), to: "memory.stat")
        try tree.write("268435456\n", to: "memory.max")
        try tree.write("some avg10=9.50 avg60=0.50 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", to: "cpu.pressure")
    }

    @Test func slowFilesAreCarriedUntilTheirPeriodHasPassed() throws {
        let tree = try FixtureTree()
        let (collector, sink) = try collector(on: tree)
        collector.tick(at: ms(0))
        try changeEverything(in: tree)

        collector.tick(at: ms(100))
        var s = try #require(sink.last.first)
        #expect(s.memoryUsage == 209_800_000 - 41_943_040)  // usage read, inactive_file carried
        #expect(s.memoryLimit == 536_870_912)
        #expect(s.psiCPU == 1.25)  // carried, not dropped to null

        collector.tick(at: ms(1000))
        s = try #require(sink.last.first)
        #expect(s.memoryUsage == 209_800_000 - 10_485_760)
        #expect(s.memoryLimit == 268_435_456)
        #expect(s.psiCPU == 1.25)

        collector.tick(at: ms(2000))
        #expect(sink.last.first?.psiCPU == 9.5)
    }

    @Test func aDockerUpdateReadsEveryFileOnTheNextTick() throws {
        let tree = try FixtureTree()
        let (collector, sink) = try collector(on: tree)
        collector.tick(at: ms(0))
        try changeEverything(in: tree)
        collector.inbox.post(.refresh(id: FixtureTree.containerID))
        collector.tick(at: ms(100))
        let s = try #require(sink.last.first)
        #expect(s.memoryLimit == 268_435_456 && s.memoryUsage == 209_800_000 - 10_485_760 && s.psiCPU == 9.5)
    }

    @Test func aContainerThatArrivesBetweenSlowReadsReadsEveryFileOnItsFirstTick() throws {
        let tree = try FixtureTree()
        let layout = try CgroupLayout.detect(root: tree.cgroupRoot, mountinfo: nil)
        let collector = Collector(options: .init(layout: layout, procRoot: tree.procRoot, ringCapacity: 8), logger: testLogger)
        let sink = CapturingSink()
        collector.add(sink: sink)
        collector.tick(at: ms(0))  // every row read (for no container)
        collector.tick(at: ms(100))
        collector.inbox.post(.replaceAll(CgroupScanner(layout: layout).scan()))
        collector.tick(at: ms(200))  // no slow row due: the newcomer reads everything anyway
        let s = try #require(sink.last.first)
        #expect(s.memoryLimit == 536_870_912)  // not the host's total
        #expect(s.memoryUsage == 209_715_200 - 41_943_040)  // inactive_file subtracted
        #expect(s.psiCPU == 1.25 && s.blockReadBytes == 1_459_200 + 4096 && s.oomKills == 1)
    }

    @Test func memoryStatIsReadAtOnceWhenUsageMoves() throws {
        let tree = try FixtureTree()
        let (collector, sink) = try collector(on: tree)
        collector.tick(at: ms(0))
        // Page cache grows by 30 MB: usage and inactive_file together, docker stats' memory unchanged.
        try tree.write("241172480\n", to: "memory.current")
        let stat = try String(contentsOfFile: tree.containerDir + "/memory.stat", encoding: .utf8)
        try tree.write(stat.replacingOccurrences(of: "inactive_file 41943040", with: "inactive_file 73400320"), to: "memory.stat")
        collector.tick(at: ms(100))
        #expect(sink.last.first?.memoryUsage == 209_715_200 - 41_943_040)
        // A move under half the tolerance (0.5 % of 160 MiB) does not trigger a read: inactive_file is carried.
        try tree.write("241272480\n", to: "memory.current")
        try tree.write(stat.replacingOccurrences(of: "inactive_file 41943040", with: "inactive_file 1"), to: "memory.stat")
        collector.tick(at: ms(200))
        #expect(sink.last.first?.memoryUsage == 241_272_480 - 73_400_320)
    }

    @Test func blockRatesSpanTwoRealReadsAndAreCarriedBetween() throws {
        let tree = try FixtureTree()
        let (collector, sink) = try collector(on: tree)
        collector.tick(at: ms(0))
        // One MB more read from the first device over the next second.
        try tree.write(
            "8:16 rbytes=2459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
            to: "io.stat")
        var rates: [Double] = []
        for t in stride(from: 100, through: 1500, by: 100) {
            collector.tick(at: ms(UInt64(t)))
            rates.append(try #require(sink.last.first).blockReadRate)
        }
        // Not read yet: 0 (a first read has no rate). At 1 s, read: 1 MB over the second since the first read,
        // then carried as is, never a carried counter's 0 or a tenfold spike.
        #expect(rates[0..<9].allSatisfy { $0 == 0 }, "\(rates)")
        #expect(rates[9...].allSatisfy { abs($0 - 1_000_000) < 10_000 }, "\(rates)")
        #expect(sink.last.first?.blockWriteRate == 0)
    }

    @Test func everythingReadsEveryFileEveryTick() throws {
        let tree = try FixtureTree()
        let layout = try CgroupLayout.detect(root: tree.cgroupRoot, mountinfo: nil)
        let collector = Collector(
            options: .init(layout: layout, procRoot: tree.procRoot, ringCapacity: 8, cadence: .everything), logger: testLogger)
        let sink = CapturingSink()
        collector.add(sink: sink)
        collector.inbox.post(.replaceAll(CgroupScanner(layout: layout).scan()))
        collector.tick(at: ms(0))
        try changeEverything(in: tree)
        collector.tick(at: ms(1))
        #expect(sink.last.first?.memoryLimit == 268_435_456 && sink.last.first?.psiCPU == 9.5)
    }
}

@Suite struct NetworkOffsetTests {
    private func raw(rx: UInt64, tx: UInt64) -> wd_raw {
        var r = wd_raw()
        r.net_rx_bytes = rx
        r.net_tx_bytes = tx
        r.net_rx_packets = rx / 100
        r.net_tx_packets = tx / 100
        return r
    }

    /// A source that starts again from its own counters (host side → a new veth read in the namespace, or a
    /// restarted counter) continues from the previous sample, and later reads keep that offset.
    @Test func totalsNeverGoBackAndKeepCountingAfterARestart() {
        var offset = NetworkOffset()
        var first = raw(rx: 50_000, tx: 20_000)
        offset.apply(to: &first, after: nil)
        #expect(first.net_rx_bytes == 50_000)
        var restarted = raw(rx: 1_000, tx: 300)
        offset.apply(to: &restarted, after: first)
        #expect(restarted.net_rx_bytes == 50_000 && restarted.net_tx_bytes == 20_000)
        #expect(restarted.net_rx_packets == 500 && restarted.net_tx_packets == 200)
        var later = raw(rx: 4_000, tx: 900)
        offset.apply(to: &later, after: restarted)
        #expect(later.net_rx_bytes == 53_000 && later.net_tx_bytes == 20_600)
    }
}
