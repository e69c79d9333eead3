import MonitorCore
import Testing

/// The hand-off of a tick's samples to a sink's task (the store, the WebSocket hub): a fixed set of batches
/// whose storage is reused, none handed out twice, nothing handed out when the consumer holds them all.
@Suite struct SampleBatchPoolTests {
    static func samples(_ count: Int, at nanos: Int64) -> [Sample] {
        (0..<count).map { i in
            Sample(container: ContainerIdentity(id: "\(i)", name: "c\(i)", serviceName: nil), timestampNanos: nanos)
        }
    }

    /// (A span cannot be an argument inside `#require`/`#expect`'s expansion.)
    static func fill(_ pool: SampleBatchPool, _ samples: [Sample], wallNanos: Int64) -> SampleBatchPool.Batch? {
        pool.fill(from: samples.span, wallNanos: wallNanos)
    }

    @Test func aFullConsumerGetsNothingMoreUntilItRecycles() throws {
        let pool = SampleBatchPool(count: 2)
        let tick = Self.samples(3, at: 1)
        let first = try #require(Self.fill(pool, tick, wallNanos: 10))
        let second = try #require(Self.fill(pool, tick, wallNanos: 20))
        #expect(first !== second)
        #expect(Self.fill(pool, tick, wallNanos: 30) == nil)
        #expect(first.wallNanos == 10 && first.samples.map(\.container.name) == ["c0", "c1", "c2"])
        pool.recycle(first)
        #expect(first.samples.isEmpty, "a recycled batch keeps no container alive")
        let third = try #require(Self.fill(pool, Self.samples(1, at: 2), wallNanos: 40))
        #expect(third === first && third.samples.count == 1 && third.wallNanos == 40)
        #expect(pool.freeCount == 0)
    }

    /// Steady state: the same storage every time (no allocation on the tick), grown only when more samples come.
    @Test func storageIsReusedFromOneTickToTheNext() throws {
        let pool = SampleBatchPool(count: 1)
        let tick = Self.samples(50, at: 1)
        var batch = try #require(Self.fill(pool, tick, wallNanos: 1))
        let storage = batch.samples.withUnsafeBufferPointer { $0.baseAddress }
        pool.recycle(batch)
        for n in 2...20 as ClosedRange<Int64> {
            batch = try #require(Self.fill(pool, Self.samples(n % 2 == 0 ? 50 : 30, at: n), wallNanos: n))
            #expect(batch.samples.withUnsafeBufferPointer { $0.baseAddress } == storage)
            // The consumer's rewrite in place (the store's period rates) does not copy either.
            batch.withSamples { $0[0].cpuPercent = 1 }
            #expect(batch.samples.withUnsafeBufferPointer { $0.baseAddress } == storage)
            pool.recycle(batch)
        }
        #expect(pool.freeCount == 1)
    }

    // MARK: The queue to the consumer (a thread of its own)

    /// What `next()` returns on a thread of its own (it blocks until there is a batch or the pool finishes).
    static func nextOnAThread(_ pool: SampleBatchPool) async -> SampleBatchPool.Batch? {
        let taken = Taken()
        await DedicatedThread.run(named: "wd-test-next") { taken.set(pool.next()) }
        return taken.get()
    }

    final class Taken: @unchecked Sendable {
        // @unchecked: written by the thread before `run` returns, read after.
        private var batch: SampleBatchPool.Batch?
        func set(_ b: SampleBatchPool.Batch?) { batch = b }
        func get() -> SampleBatchPool.Batch? { batch }
    }

    @Test func theConsumerTakesBatchesInOrderAndWaitsForTheNext() async throws {
        let pool = SampleBatchPool(count: 3)
        let first = try #require(Self.fill(pool, Self.samples(1, at: 1), wallNanos: 1))
        let second = try #require(Self.fill(pool, Self.samples(2, at: 2), wallNanos: 2))
        pool.pass(first)
        pool.pass(second)
        #expect(pool.next() === first)
        #expect(pool.next() === second)
        // Nothing queued: the consumer waits until the tick passes one on.
        async let waited = Self.nextOnAThread(pool)
        try await Task.sleep(for: .milliseconds(50))
        let third = try #require(Self.fill(pool, Self.samples(3, at: 3), wallNanos: 3))
        pool.pass(third)
        #expect(await waited === third)
        #expect(pool.freeCount == 0)
    }

    @Test func finishingGivesWhatIsQueuedThenNil() throws {
        let pool = SampleBatchPool(count: 2)
        let batch = try #require(Self.fill(pool, Self.samples(1, at: 1), wallNanos: 1))
        pool.pass(batch)
        pool.finish()
        #expect(pool.next() === batch)
        #expect(pool.next() == nil)
        // Passed after the end: nobody will take it, so it is free again.
        pool.recycle(batch)
        let late = try #require(Self.fill(pool, Self.samples(1, at: 2), wallNanos: 2))
        pool.pass(late)
        #expect(pool.freeCount == 2)
    }

    @Test func aWaitingConsumerIsWokenByFinish() async {
        let pool = SampleBatchPool(count: 1)
        async let ended = Self.nextOnAThread(pool)
        try? await Task.sleep(for: .milliseconds(50))
        pool.finish()
        #expect(await ended == nil)
    }
}
