import Synchronization

/// Counters about the collector's health, written by the tick and readable from any thread.
public final class CollectorStatistics: Sendable {
    public let ticks = Atomic<UInt64>(0)
    /// Ticks not run because the previous one overran its slot (skipped, not queued).
    public let missedTicks = Atomic<UInt64>(0)
    public let samples = Atomic<UInt64>(0)
    /// Files that could not be read or parsed (the sample may still be produced without them).
    public let readErrors = Atomic<UInt64>(0)
    /// Container samples not produced because an essential file failed.
    public let failedSamples = Atomic<UInt64>(0)
    /// Containers dropped because their cgroup disappeared between two ticks.
    public let vanishedContainers = Atomic<UInt64>(0)
    public let lastTickNanos = Atomic<UInt64>(0)
    public let totalTickNanos = Atomic<UInt64>(0)
    public let maxTickNanos = Atomic<UInt64>(0)
    public let monitoredContainers = Atomic<Int>(0)
    /// Containers whose network counters come from the host's /proc/net/dev (the rest read their namespace's).
    public let hostNetworkContainers = Atomic<Int>(0)
    /// Tick durations, for percentiles.
    public let tickDurations = Mutex(TickHistogram())

    public init() {}

    func recordTick(durationNanos: UInt64) {
        ticks.add(1, ordering: .relaxed)
        lastTickNanos.store(durationNanos, ordering: .relaxed)
        totalTickNanos.add(durationNanos, ordering: .relaxed)
        tickDurations.withLock { $0.record(durationNanos) }
        var current = maxTickNanos.load(ordering: .relaxed)
        while durationNanos > current {
            let (exchanged, original) = maxTickNanos.compareExchange(
                expected: current, desired: durationNanos, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }
}
