import Glibc

/// Raw clock reads for the tick: no Foundation, no allocation.
public enum Clocks {
    /// Monotonic time in nanoseconds (for deltas and the tick schedule).
    @inline(__always)
    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Wall-clock time in nanoseconds since the Unix epoch (for timestamps).
    @inline(__always)
    public static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}
