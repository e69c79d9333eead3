import MonitorCore
import Testing

@Suite struct RingBufferTests {
    @Test func keepsTheNewestAndOverwritesTheOldest() {
        var ring = RingBuffer<Int>(capacity: 3)
        #expect(ring.isEmpty && ring.last == nil)
        for i in 1...5 { ring.append(i) }
        #expect(ring.count == 3)
        #expect(ring.last == 5)
        #expect((0..<3).compactMap { ring.newest($0) } == [5, 4, 3])
        #expect(ring.newest(3) == nil)
        var seen: [Int] = []
        ring.forEachNewestFirst { seen.append($0); return $0 > 4 }
        #expect(seen == [5, 4])
    }
}

@Suite struct TickHistogramTests {
    @Test func quantilesAreBucketUpperBoundsWithinFortyOnePercent() {
        var h = TickHistogram()
        #expect(h.quantile(0.99) == 0)
        for _ in 0..<99 { h.record(100_000) }  // 100 µs
        h.record(50_000_000)  // one slow tick: 50 ms
        let p50 = h.quantile(0.5)
        #expect(p50 >= 100_000 && Double(p50) <= 100_000 * 1.42)
        #expect(h.quantile(0.99) == p50)  // 99 of 100 ticks were fast
        let p100 = h.quantile(1.0)
        #expect(p100 >= 50_000_000 && Double(p100) <= 50_000_000 * 1.42)
        #expect(h.total == 100)
    }
}
