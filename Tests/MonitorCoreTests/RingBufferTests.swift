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
