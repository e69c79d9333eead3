import Glibc

/// Sleeps a thread until a point on the monotonic clock, or until woken: the collector's own thread waits for
/// its next slot here, and stopping the daemon wakes it at once instead of after the rest of the interval.
/// (A pthread condition variable set to CLOCK_MONOTONIC: a wall-clock jump moves no tick.)
final class MonotonicSleeper: @unchecked Sendable {
    // @unchecked: the mutex guards `woken`; the pthread objects are only touched through their functions.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var woken = false

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Waits until the monotonic clock reads `nanos`. Returns false when woken by `wake()` instead.
    func sleep(untilMonotonicNanos nanos: UInt64) -> Bool {
        var deadline = timespec(tv_sec: Int(clamping: nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !woken {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { return true }
        }
        return false
    }

    /// Ends the current and every later `sleep` at once.
    func wake() {
        pthread_mutex_lock(mutex)
        woken = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
