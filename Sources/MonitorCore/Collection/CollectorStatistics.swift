import MonitorHealth
import Synchronization

/// The collector's health, counted into the daemon's health registry (`wakedock_…`, read back by
/// `/statistics`). Written by the tick: counters and gauges are relaxed atomic adds and stores; the duration
/// histogram takes a short lock. Nothing is allocated, except when a tick records while an emit (a scrape, a
/// statistics read) holds a copy of the histogram's state: then its 37 counters are copied once.
public final class CollectorStatistics: Sendable {
    /// Every tick's duration; its count is the number of ticks.
    public let tickDuration: HealthHistogram
    public let lastTickSeconds: HealthGauge
    public let maxTickSeconds: HealthGauge
    /// Ticks not run because the previous one overran its slot (skipped, not queued).
    public let missedTicks: HealthCounter
    public let samples: HealthCounter
    /// Files that could not be read or parsed (the sample may still be produced without them).
    public let readErrors: HealthCounter
    /// Container samples not produced because an essential file failed.
    public let failedSamples: HealthCounter
    /// Containers dropped because their cgroup disappeared between two ticks.
    public let vanishedContainers: HealthCounter
    public let monitoredContainers: HealthGauge
    /// Containers whose network counters come from the host's /proc/net/dev (the rest read their namespace's).
    public let hostNetworkContainers: HealthGauge
    /// The slowest tick so far, kept here because a gauge cannot compare-and-swap; only the tick writes it.
    private let maxTickNanos = Atomic<UInt64>(0)

    public init(health: HealthRegistry) {
        tickDuration = health.durationHistogram(Names.tickDuration, help: "Duration of a collection tick (every container read once)")
        lastTickSeconds = health.gauge(Names.lastTick, help: "Duration of the latest collection tick")
        maxTickSeconds = health.gauge(Names.maxTick, help: "Duration of the slowest collection tick since start")
        missedTicks = health.counter(Names.missedTicks, help: "Collection slots skipped because the previous tick overran its interval")
        samples = health.counter(Names.samples, help: "Container samples collected")
        readErrors = health.counter(Names.readErrors, help: "Kernel files that could not be read or parsed")
        failedSamples = health.counter(Names.failedSamples, help: "Container samples not produced because an essential file failed")
        vanishedContainers = health.counter(Names.vanished, help: "Containers dropped because their cgroup disappeared")
        monitoredContainers = health.gauge(Names.monitored, help: "Containers being collected")
        hostNetworkContainers = health.gauge(Names.hostNetwork, help: "Containers whose network counters are the host's (host network mode)")
    }

    /// The registry names, for whoever reads the figures back.
    public enum Names {
        public static let tickDuration = "wakedock_tick_duration_seconds"
        public static let lastTick = "wakedock_tick_last_duration_seconds"
        public static let maxTick = "wakedock_tick_max_duration_seconds"
        public static let missedTicks = "wakedock_ticks_missed_total"
        public static let samples = "wakedock_samples_total"
        public static let readErrors = "wakedock_read_errors_total"
        public static let failedSamples = "wakedock_samples_failed_total"
        public static let vanished = "wakedock_containers_vanished_total"
        public static let monitored = "wakedock_containers_monitored"
        public static let hostNetwork = "wakedock_containers_host_network"
    }

    func recordTick(durationNanos: UInt64) {
        let nanos = Int64(clamping: durationNanos)
        tickDuration.recordNanoseconds(nanos)
        let seconds = Double(durationNanos) / 1e9
        lastTickSeconds.set(to: seconds)
        if durationNanos > maxTickNanos.load(ordering: .relaxed) {
            maxTickNanos.store(durationNanos, ordering: .relaxed)
            maxTickSeconds.set(to: seconds)
        }
    }
}
