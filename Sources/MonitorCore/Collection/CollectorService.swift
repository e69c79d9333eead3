import Logging
import ServiceLifecycle
import Synchronization

/// Drives the collector: one tick every `interval` on the monotonic clock. A tick that overruns its slot
/// makes the loop skip (and count) the slots it missed instead of queueing them or drifting.
public final class CollectorService: Service, @unchecked Sendable {
    // @unchecked: `collector` is not thread-safe and is touched only by `run()`, which runs once, on one task.
    // Everything else here is Sendable.
    private let collector: Collector
    public let interval: Duration
    private let logger: Logger
    /// False while monitoring is stopped (POST /stop): no reads, history still served.
    public let isCollecting = Atomic<Bool>(true)
    /// Called once after the first tick (readiness for sd_notify and tests).
    private let onFirstTick: (@Sendable () -> Void)?

    public let inbox: TargetInbox
    public let registry: SeriesRegistry
    public let statistics: CollectorStatistics

    public init(collector: Collector, interval: Duration, logger: Logger, onFirstTick: (@Sendable () -> Void)? = nil) {
        self.collector = collector
        self.interval = interval
        self.logger = logger
        self.onFirstTick = onFirstTick
        inbox = collector.inbox
        registry = collector.registry
        statistics = collector.statistics
    }

    public func run() async throws {
        let intervalNanos = UInt64(interval.components.seconds) * 1_000_000_000
            + UInt64(interval.components.attoseconds / 1_000_000_000)
        precondition(intervalNanos > 0, "the collection interval must be positive")
        logger.info("monitoring started", metadata: ["interval_s": "\(Double(intervalNanos) / 1e9)"])
        await cancelWhenGracefulShutdown { await self.loop(intervalNanos: intervalNanos) }
        logger.info("monitoring stopped")
    }

    private func loop(intervalNanos: UInt64) async {
            var next = Clocks.monotonicNanos()
            var first = true
            while !Task.isCancelled {
                if self.isCollecting.load(ordering: .relaxed) {
                    let info = self.collector.tick()
                    self.logger.debug(
                        "tick",
                        metadata: [
                            "sequence": "\(info.sequence)", "containers": "\(self.collector.containerCount)",
                            "duration_us": "\(info.durationNanos / 1000)",
                            "missed": "\(self.statistics.missedTicks.load(ordering: .relaxed))",
                        ])
                    if first {
                        first = false
                        self.onFirstTick?()
                    }
                }
                next &+= intervalNanos
                let now = Clocks.monotonicNanos()
                if now >= next {
                    let missed = (now - next) / intervalNanos + 1
                    self.statistics.missedTicks.add(missed, ordering: .relaxed)
                    next &+= missed * intervalNanos
                }
                try? await Task.sleep(for: .nanoseconds(Int64(next - now)))
            }
    }
}
