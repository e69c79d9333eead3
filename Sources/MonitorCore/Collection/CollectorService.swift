import CSupport
import Glibc
import Logging
import MonitorHealth
import ServiceLifecycle
import Synchronization

/// Drives the collector: one tick every `interval` on the monotonic clock. A tick that overruns its slot
/// makes the loop skip (and count) the slots it missed instead of queueing them or drifting.
///
/// The loop runs on a thread of its own, not on Swift's cooperative pool: that pool has one thread per core,
/// and a request that keeps them busy (a long history export, a burst of queries) would otherwise delay the
/// tick. The tick's sinks only hand data over to bounded queues, so nothing here waits for request work.
public final class CollectorService: Service, @unchecked Sendable {
    // @unchecked: `collector` is not thread-safe and is touched only by `run()`, which runs once, on one task.
    // Everything else here is Sendable.
    private let collector: Collector
    /// The collection interval in nanoseconds; changeable while running (POST /config), read every loop.
    private let intervalNanos: Atomic<UInt64>
    private let logger: Logger
    /// False while monitoring is stopped (POST /stop): no reads, history still served.
    public let isCollecting = Atomic<Bool>(true)
    /// The collector's health registry (the daemon's).
    public let health: HealthRegistry
    /// Called once after the first tick (readiness for sd_notify and tests).
    private let onFirstTick: (@Sendable () -> Void)?
    /// Called on every turn of the loop, ticking or paused (the systemd watchdog: a stuck tick stops it).
    private let onLoop: (@Sendable () -> Void)?
    /// When a tick overran its slot was last said in the log (said at most once a minute).
    private var lastOverrunLogged: UInt64 = 0

    public let inbox: TargetInbox
    public let registry: SeriesRegistry
    public let statistics: CollectorStatistics

    public init(
        collector: Collector, interval: Duration, logger: Logger, onFirstTick: (@Sendable () -> Void)? = nil,
        onLoop: (@Sendable () -> Void)? = nil
    ) {
        self.collector = collector
        self.onLoop = onLoop
        self.intervalNanos = Atomic(Self.nanos(interval))
        self.logger = logger
        self.onFirstTick = onFirstTick
        inbox = collector.inbox
        registry = collector.registry
        statistics = collector.statistics
        health = collector.health
    }

    private static func nanos(_ d: Duration) -> UInt64 {
        UInt64(clamping: d.saturatingNanoseconds)
    }

    public var interval: Duration { .nanoseconds(Int64(clamping: intervalNanos.load(ordering: .relaxed))) }

    /// Changes the interval from the next tick on.
    public func setInterval(_ interval: Duration) {
        let nanos = Self.nanos(interval)
        precondition(nanos > 0, "the collection interval must be positive")
        intervalNanos.store(nanos, ordering: .relaxed)
    }

    public func run() async throws {
        precondition(intervalNanos.load(ordering: .relaxed) > 0, "the collection interval must be positive")
        logger.info("monitoring started", metadata: ["interval_s": "\(interval.secondsText)"])
        let sleeper = MonotonicSleeper()
        let stopped = Atomic<Bool>(false)
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await DedicatedThread.run(named: "wakedock-tick") { [self] in self.loop(sleeper: sleeper, stopped: stopped) }
            } onCancel: {
                stopped.store(true, ordering: .relaxed)
                sleeper.wake()
            }
        }
        logger.info("monitoring stopped")
    }

    private func loop(sleeper: MonotonicSleeper, stopped: borrowing Atomic<Bool>) {
            var next = Clocks.monotonicNanos()
            var first = true
            var missedSinceStart: UInt64 = 0
            var lastTickNanos: UInt64 = 0
            while !stopped.load(ordering: .relaxed) {
                if self.isCollecting.load(ordering: .relaxed) {
                    let info = self.collector.tick()
                    lastTickNanos = info.durationNanos
                    self.logger.debug(
                        "tick",
                        metadata: [
                            "sequence": "\(info.sequence)", "containers": "\(self.collector.containerCount)",
                            "duration_us": "\(info.durationNanos / 1000)",
                            "missed": "\(missedSinceStart)",
                        ])
                    if first {
                        first = false
                        self.onFirstTick?()
                    }
                }
                self.onLoop?()
                let intervalNanos = self.intervalNanos.load(ordering: .relaxed)
                next &+= intervalNanos
                let now = Clocks.monotonicNanos()
                if now >= next {
                    let missed = (now - next) / intervalNanos + 1
                    missedSinceStart &+= missed
                    self.statistics.missedTicks.increment(by: Int64(clamping: missed))
                    next &+= missed * intervalNanos
                    if now &- self.lastOverrunLogged >= 60_000_000_000 {
                        self.lastOverrunLogged = now
                        self.logger.warning(
                            "slow tick: collection overran its interval; the slots it missed are skipped",
                            metadata: [
                                "tick_ms": "\(Double(lastTickNanos) / 1e6)",
                                "interval_ms": "\(Double(intervalNanos) / 1e6)", "missed": "\(missed)",
                                "containers": "\(self.collector.containerCount)",
                            ])
                    }
                }
                if !sleeper.sleep(untilMonotonicNanos: next) { break }
            }
    }
}
