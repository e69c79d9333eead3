import CSystemd
import Logging
import MonitorCore
import ServiceLifecycle
import Synchronization

/// Tells systemd how the daemon is doing (`Type=notify`): `READY=1` once the first tick has run and the port
/// is bound, `STATUS=` with a one-line summary, `WATCHDOG=1` every half `WATCHDOG_USEC` — sent from the
/// collector's loop, so that a stuck tick stops the pings and systemd restarts the daemon — and `STOPPING=1`
/// on shutdown. Without `NOTIFY_SOCKET` every call is a no-op.
public final class SystemdNotifier: Service, Sendable {
    private let logger: Logger
    /// Half the watchdog interval, nanoseconds; 0 when systemd set no watchdog.
    public let watchdogPingNanos: Int64
    private let lastPing = Atomic<Int64>(0)
    private let firstTickDone = Atomic<Bool>(false)
    private let portBound = Atomic<Bool>(false)
    private let readySent = Atomic<Bool>(false)
    private let summary: @Sendable () -> String

    public init(logger: Logger, summary: @escaping @Sendable () -> String) {
        self.logger = logger
        self.summary = summary
        watchdogPingNanos = Int64(wd_watchdog_usec()) * 1000 / 2
    }

    public var isWatchdogEnabled: Bool { watchdogPingNanos > 0 }

    /// The collector's loop ran (called every iteration, ticking or paused): pings the watchdog when due.
    /// Two atomics and a clock read; a `sendmsg` every half watchdog interval.
    public func collectorLoopDidRun() {
        guard watchdogPingNanos > 0 else { return }
        let now = Int64(Clocks.monotonicNanos())
        let last = lastPing.load(ordering: .relaxed)
        guard now - last >= watchdogPingNanos else { return }
        lastPing.store(now, ordering: .relaxed)
        _ = wd_notify("WATCHDOG=1")
    }

    public func firstTickDidRun() {
        firstTickDone.store(true, ordering: .relaxed)
        sendReadyIfDue()
    }

    public func serverDidBind() {
        portBound.store(true, ordering: .relaxed)
        sendReadyIfDue()
    }

    private func sendReadyIfDue() {
        guard firstTickDone.load(ordering: .relaxed), portBound.load(ordering: .relaxed),
            !readySent.exchange(true, ordering: .relaxed)
        else { return }
        let rc = wd_notify("READY=1\nSTATUS=\(summary())")
        if rc > 0 { logger.info("told systemd we are ready", metadata: ["status": "\(summary())"]) }
    }

    /// Keeps `STATUS=` current (once a minute) until shutdown, then says `STOPPING=1`.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(60))
                    if self.readySent.load(ordering: .relaxed) { _ = wd_notify("STATUS=\(self.summary())") }
                }
            }
        } onGracefulShutdown: {
            _ = wd_notify("STOPPING=1\nSTATUS=stopping")
        }
    }
}
