@testable import MonitorCore
import Testing

/// The delta-encoded ring against the plain ring it replaced: same samples back, bit for bit, in the same
/// order, whatever the values (counter resets, the extremes, NaN, absent PSI) and the capacity.
@Suite struct SampleRingTests {
    static let identity = ContainerIdentity(id: String(repeating: "ab", count: 32), name: "ring")

    /// Every stored property of a sample, as text (NaN == NaN here, unlike `==`).
    static func fields(_ sample: Sample) -> [String] {
        Mirror(reflecting: sample).children.map { "\($0.label ?? "?")=\($0.value)" }
    }

    @Test func theCodecCoversEveryFieldOfASample() {
        // A field added to Sample must be added to SampleDeltaCodec's encode and decode (and here).
        #expect(Mirror(reflecting: Sample(container: Self.identity, timestampNanos: 0)).children.count == 34)
    }

    @Test func everySampleComesBackExactlyAtEveryCapacity() {
        var random = SeededGenerator(seed: 12)
        for capacity in [1, 2, 5, 31, 32, 33, 64, 100, 720] {
            var ring = SampleRing(capacity: capacity)
            var model = RingBuffer<Sample>(capacity: capacity)
            var previous = Sample(container: Self.identity, timestampNanos: 1_700_000_000_000_000_000)
            for step in 0..<(capacity * 3 + 70) {
                let sample = Self.next(after: previous, random: &random, wild: step % 17 == 0)
                ring.append(sample)
                model.append(sample)
                previous = sample
                // The whole ring after every append while it is small; the big one now and then (Mirror is slow).
                guard capacity <= 64 || step % 97 == 0 || step > capacity * 3 + 60 else { continue }
                var got: [[String]] = []
                ring.forEachNewestFirst(identity: Self.identity) { got.append(Self.fields($0)); return true }
                var expected: [[String]] = []
                model.forEachNewestFirst { expected.append(Self.fields($0)); return true }
                #expect(got == expected, "capacity \(capacity), step \(step)")
                #expect(ring.count == model.count)
                #expect(ring.first(identity: Self.identity).map(Self.fields) == model.first.map(Self.fields))
                #expect(ring.last.map(Self.fields) == model.last.map(Self.fields))
                if got != expected { return }
            }
        }
    }

    @Test func readingStopsWhereTheCallerSays() {
        var ring = SampleRing(capacity: 100)
        for t in 1...250 { ring.append(Sample(container: Self.identity, timestampNanos: Int64(t))) }
        var seen: [Int64] = []
        ring.forEachNewestFirst(identity: Self.identity) { seen.append($0.timestampNanos); return seen.count < 40 }
        #expect(seen == Array((211...250).reversed()))
        #expect(ring.first(identity: Self.identity)?.timestampNanos == 151)
    }

    @Test func anIdleContainersSampleTakesAFewBytes() {
        var previous = Sample(container: Self.identity, timestampNanos: 1_700_000_000_000_000_000)
        previous.memoryUsage = 1_200_000
        previous.memoryLimit = 8 << 30
        previous.cpuSystemUsageNanos = 5_000_000_000_000
        previous.pids = 1
        var next = previous
        next.timestampNanos += 100_000_000
        next.cpuSystemUsageNanos += 200_000_000
        let length = withUnsafeTemporaryAllocation(byteCount: SampleDeltaCodec.maximumRecordBytes, alignment: 8) {
            SampleDeltaCodec.encode(next, after: previous, into: $0)
        }
        // The mask (fields 0 and 3: one varint byte), then the two differences as zigzag varints: 2×10⁸ in 4
        // bytes, 2×2×10⁸ in 5.
        #expect(length == 1 + 4 + 5)
    }

    /// A plausible next sample, or with `wild` one whose every field jumps anywhere (resets, extremes).
    static func next(after p: Sample, random: inout SeededGenerator, wild: Bool) -> Sample {
        var s = p
        func counter(_ v: UInt64) -> UInt64 {
            if wild { return [0, 1, UInt64.max, UInt64.max - 1, random.next()][Int(random.next() % 5)] }
            return random.next() % 3 == 0 ? v : v &+ random.next() % 100_000
        }
        func double(_ v: Double) -> Double {
            if wild { return [0, -0.0, .nan, .infinity, -.infinity, .greatestFiniteMagnitude, 1e-300][Int(random.next() % 7)] }
            return random.next() % 2 == 0 ? v : Double(random.next() % 1_000_000) / 100
        }
        func psi(_ v: Double?) -> Double? { random.next() % 4 == 0 ? nil : double(v ?? 0) }
        s.timestampNanos = wild ? Int64(bitPattern: random.next()) : p.timestampNanos &+ 100_000_000
        s.cpuPercent = double(p.cpuPercent)
        s.cpuUsageNanos = counter(p.cpuUsageNanos)
        s.cpuSystemUsageNanos = counter(p.cpuSystemUsageNanos)
        s.cpuThrottledPeriods = counter(p.cpuThrottledPeriods)
        s.memoryUsage = counter(p.memoryUsage)
        s.memoryLimit = counter(p.memoryLimit)
        s.memoryPercent = double(p.memoryPercent)
        s.memoryCache = counter(p.memoryCache)
        s.memoryUsageRaw = counter(p.memoryUsageRaw)
        s.memoryFailcnt = counter(p.memoryFailcnt)
        s.oomKills = counter(p.oomKills)
        s.networkRxBytes = counter(p.networkRxBytes)
        s.networkTxBytes = counter(p.networkTxBytes)
        s.networkRxPackets = counter(p.networkRxPackets)
        s.networkTxPackets = counter(p.networkTxPackets)
        s.networkRxRate = double(p.networkRxRate)
        s.networkTxRate = double(p.networkTxRate)
        s.blockReadBytes = counter(p.blockReadBytes)
        s.blockWriteBytes = counter(p.blockWriteBytes)
        s.blockReadRate = double(p.blockReadRate)
        s.blockWriteRate = double(p.blockWriteRate)
        s.blockCountersAgeNanos = Int64(bitPattern: counter(UInt64(bitPattern: p.blockCountersAgeNanos)))
        s.pids = counter(p.pids)
        s.psiCPU = psi(p.psiCPU)
        s.psiMemory = psi(p.psiMemory)
        s.psiIO = psi(p.psiIO)
        // UInt64.max is "not given" (the C parser's, the codec's), never a value.
        func total(_ v: UInt64?) -> UInt64? { random.next() % 4 == 0 ? nil : min(counter(v ?? 0), .max - 1) }
        s.psiCPUSomeMicros = total(p.psiCPUSomeMicros)
        s.psiCPUFullMicros = total(p.psiCPUFullMicros)
        s.psiMemorySomeMicros = total(p.psiMemorySomeMicros)
        s.psiMemoryFullMicros = total(p.psiMemoryFullMicros)
        s.psiIOSomeMicros = total(p.psiIOSomeMicros)
        s.psiIOFullMicros = total(p.psiIOFullMicros)
        return s
    }
}

/// SplitMix64: the same sequence on every run, so a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1330_11EB
        return z ^ (z >> 31)
    }
}
