import Glibc

/// Hands a tick's samples from the collector's thread to a sink's own thread without allocating: a fixed set
/// of batches, each keeping its storage from one use to the next, and the queue that carries them to the one
/// consumer. The sink fills a free batch on the tick and passes it on; its consumer — a `DedicatedThread` —
/// takes it with `next()` and gives it back with `recycle`. With none free (the consumer is `count` ticks
/// behind) the tick's samples are not passed on, and the sink counts them as dropped: the tick never waits
/// and never allocates for a slow consumer.
///
/// Not an `AsyncStream`, nor any task waiting on a continuation: waking a task from the tick allocates on the
/// tick's thread (the stream's generic `removeFirst`, then libdispatch's continuation for the woken job). A
/// consumer thread blocked on a condition variable is woken with no allocation at all.
///
/// A batch belongs to one side at a time: the tick between `fill` and `pass`, the consumer from `next()` until
/// `recycle`. The consumer must not keep a copy of `samples` past `recycle` (the next `fill` would then copy
/// the storage instead of reusing it).
public final class SampleBatchPool: @unchecked Sendable {
    // @unchecked: its mutable state is guarded by `mutex`; a batch is handed between threads, never shared.
    public final class Batch: @unchecked Sendable {
        /// The tick's samples, in the collector's order.
        public fileprivate(set) var samples: ContiguousArray<Sample> = []
        /// Wall-clock time of the tick.
        public fileprivate(set) var wallNanos: Int64 = 0
        fileprivate let index: Int

        fileprivate init(index: Int) { self.index = index }

        /// Mutable access for the consumer between taking the batch and recycling it (the store rewrites
        /// each persisted line's rates over its whole period).
        public func withSamples<R>(_ body: (inout ContiguousArray<Sample>) -> R) -> R { body(&samples) }
    }

    private let batches: [Batch]
    // Guarded by `mutex`; both index lists reserve room for every batch: nothing here allocates after `init`.
    /// Indices of the batches nobody holds.
    private var free: [Int] = []
    /// Indices of the batches passed on and not yet taken, oldest first.
    private var queued: [Int] = []
    /// No more batches will be passed on: `next()` gives what is queued, then nil.
    private var finished = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let passed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init(count: Int) {
        let n = max(count, 1)
        batches = (0..<n).map { Batch(index: $0) }
        free.reserveCapacity(n)
        free.append(contentsOf: (0..<n).reversed())
        queued.reserveCapacity(n)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(passed, nil)
    }

    deinit {
        pthread_cond_destroy(passed)
        pthread_mutex_destroy(mutex)
        passed.deallocate()
        mutex.deallocate()
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    // MARK: The tick's side

    /// A free batch holding a copy of `samples`, or nil when every batch is still held by the consumer. The
    /// copy allocates only when a batch first meets more samples than it ever held (containers came).
    public func fill(from samples: Span<Sample>, wallNanos: Int64) -> Batch? {
        guard let index = locked({ free.popLast() }) else { return nil }
        let batch = batches[index]
        batch.samples.removeAll(keepingCapacity: true)
        batch.samples.reserveCapacity(samples.count)
        for i in samples.indices { batch.samples.append(samples[i]) }
        batch.wallNanos = wallNanos
        return batch
    }

    /// Passes a filled batch to the consumer (after `finish`, the batch is recycled: nobody will take it).
    public func pass(_ batch: Batch) {
        let taken = locked { () -> Bool in
            guard !finished else { return false }
            queued.append(batch.index)
            pthread_cond_signal(passed)
            return true
        }
        if !taken { recycle(batch) }
    }

    // MARK: The consumer's side

    /// The next batch passed on, oldest first, waiting (blocking the calling thread) until there is one; nil
    /// once `finish` was called and the queue is empty. One consumer at a time, on a thread of its own.
    public func next() -> Batch? {
        locked {
            while queued.isEmpty && !finished { pthread_cond_wait(passed, mutex) }
            return queued.isEmpty ? nil : batches[queued.removeFirst()]
        }
    }

    /// Gives a batch back once the consumer is done with it. Its samples are released now (not at its next
    /// use), so that a pool idle for a while keeps no container's identity alive.
    public func recycle(_ batch: Batch) {
        batch.samples.removeAll(keepingCapacity: true)
        locked { free.append(batch.index) }
    }

    /// No more batches: the consumer gets what is queued, then nil (shutdown).
    public func finish() {
        locked {
            finished = true
            pthread_cond_broadcast(passed)
        }
    }

    /// Batches neither held by the consumer nor waiting for it (tests).
    public var freeCount: Int { locked { free.count } }
}
