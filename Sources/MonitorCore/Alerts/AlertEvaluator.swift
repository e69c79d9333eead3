import MonitorHealth
import Synchronization

/// How alerts behave over time (SPEC §5): no storm at sub-second intervals, nor from a value that flaps
/// around its threshold.
public struct AlertPolicy: Sendable {
    /// A level that persists is raised again only after this long; a rise this soon after a resolution re-opens
    /// the episode without a new announcement.
    public var cooldownNanos: Int64
    /// A level ends when the value falls below its threshold × (1 − hysteresis)…
    public var hysteresis: Double
    /// …and stays below it this long.
    public var clearNanos: Int64

    public init(cooldown: Duration = .seconds(300), hysteresis: Double = 0.1, clear: Duration = .zero) {
        cooldownNanos = cooldown.saturatingNanoseconds
        self.hysteresis = hysteresis
        clearNanos = clear.saturatingNanoseconds
    }
}

/// An alert that is in force for a container, for `/containers`.
public struct ActiveAlert: Sendable {
    public var metric: MetricType
    public var level: AlertLevel
    public var sinceNanos: Int64
    public var value: Double
}

/// Evaluates every sample of every tick against the thresholds, as a sink on the collector's thread.
///
/// Steady state allocates nothing: one threshold snapshot per tick (a lock and a retain), per container a
/// state object made when it is first seen and found again by id, per metric a few comparisons. Records are
/// made only when something happens (a rise, a cool-down repeat, a resolution) and handed to the alert log,
/// whose listeners only enqueue (store, WebSocket hub, webhooks, callbacks) — nothing here waits.
public final class AlertEvaluator: SampleSink, Sendable {
    /// What one metric of one container is doing.
    struct MetricState {
        var level: AlertLevel = .info  // info = normal
        /// The highest level of the episode in force: what its resolution ends.
        var peak: AlertLevel = .info
        var activeSince: Int64 = 0
        var lastRaised: Int64 = 0
        /// When the last resolution was announced (0: never), and the level it ended.
        var lastResolved: Int64 = 0
        var lastResolvedPeak: AlertLevel = .info
        /// The episode in force was re-opened within the cool-down of a resolution: nobody was told, so its end
        /// is not announced either (unless it lasts past the cool-down and is announced then).
        var quiet = false
        /// Since when the value has been below the clear level without a break (0: it is not).
        var belowSince: Int64 = 0
        /// Since when the value has been ≥ warning / ≥ critical without a break (0: it is not).
        var aboveWarningSince: Int64 = 0
        var aboveCriticalSince: Int64 = 0
        var lastValue: Double = 0
    }

    final class ContainerState {
        var metrics = [MetricState](repeating: MetricState(), count: MetricType.allCases.count)
        var lastSeenTick: UInt64 = 0
    }

    private let thresholds: ThresholdTable
    private let log: AlertLog
    private let policy: AlertPolicy
    private let states = Mutex<[String: ContainerState]>([:])
    public static let raisedName = "wakedock_alerts_raised_total"
    public static let resolvedName = "wakedock_alerts_resolved_total"
    /// Alerts raised and resolved since start.
    public let raised: HealthCounter
    public let resolved: HealthCounter

    public init(thresholds: ThresholdTable, log: AlertLog, policy: AlertPolicy = AlertPolicy(), health: HealthRegistry = HealthRegistry()) {
        raised = health.counter(Self.raisedName, help: "Alerts raised since start")
        resolved = health.counter(Self.resolvedName, help: "Alerts resolved since start")
        self.thresholds = thresholds
        self.log = log
        self.policy = policy
    }

    public func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        let snapshot = thresholds.snapshot
        var events: [AlertRecord] = []  // empty: no allocation unless something happens
        states.withLock { states in
            for i in samples.indices {
                let sample = samples[i]
                let state: ContainerState
                if let known = states[sample.container.id] {
                    state = known
                } else {
                    state = ContainerState()
                    states[sample.container.id] = state
                }
                state.lastSeenTick = tick.sequence
                let applicable = snapshot.applying(containerID: sample.container.id, service: sample.container.serviceName)
                for metric in MetricType.allCases {
                    let threshold = applicable.threshold(metric)
                    if let event = Self.evaluate(
                        &state.metrics[metric.index], metric: metric, value: metric.value(in: sample), threshold: threshold,
                        nowNanos: sample.timestampNanos, policy: policy, sample: sample)
                    {
                        events.append(event)
                    }
                }
            }
            // Forget containers that are gone (checked now and then, not every tick).
            if tick.sequence % 64 == 0, states.count > samples.count {
                let horizon = tick.sequence &- 8
                for (id, state) in states where state.lastSeenTick < horizon { states[id] = nil }
            }
        }
        for event in events {
            if event.resolved { resolved.increment() } else { raised.increment() }
            log.append(event)
        }
    }

    /// One metric of one sample: the new state, and the record to emit if any.
    static func evaluate(
        _ s: inout MetricState, metric: MetricType, value: Double, threshold: Threshold?, nowNanos: Int64,
        policy: AlertPolicy, sample: Sample
    ) -> AlertRecord? {
        s.lastValue = value
        guard let t = threshold, t.enabled else {
            // No threshold (or disabled): whatever was in force ends quietly.
            s = MetricState()
            return nil
        }
        s.aboveWarningSince = value >= t.warning ? (s.aboveWarningSince == 0 ? nowNanos : s.aboveWarningSince) : 0
        s.aboveCriticalSince = value >= t.critical ? (s.aboveCriticalSince == 0 ? nowNanos : s.aboveCriticalSince) : 0
        let hold = Int64(saturating: t.duration * 1e9)
        // The level the value has earned: above a threshold, for long enough.
        var earned = AlertLevel.info
        if s.aboveCriticalSince != 0, nowNanos - s.aboveCriticalSince >= hold {
            earned = .critical
        } else if s.aboveWarningSince != 0, nowNanos - s.aboveWarningSince >= hold {
            earned = .warning
        }
        // Hysteresis: a level in force lasts until the value falls below its threshold × (1 − h).
        var kept = AlertLevel.info
        let keep = 1 - policy.hysteresis
        if s.level == .critical, value >= t.critical * keep {
            kept = .critical
        } else if s.level >= .warning, value >= t.warning * keep {
            kept = .warning
        }
        let target = max(earned, kept)

        func record(_ level: AlertLevel, limit: Double) -> AlertRecord {
            AlertRecord(
                containerID: sample.container.id, containerName: sample.container.name, serviceName: sample.container.serviceName,
                timestampNanos: nowNanos, level: level, metricType: metric, value: value, threshold: limit,
                message: AlertMessage.text(metric: metric, level: level, value: value, threshold: limit))
        }

        if target == .info {
            guard s.level != .info else { return nil }
            // Below the clear level: the episode ends only once the value has stayed there long enough.
            if s.belowSince == 0 { s.belowSince = nowNanos }
            guard nowNanos &- s.belowSince >= policy.clearNanos else { return nil }
            let ended = s.peak
            let announced = !s.quiet
            s.level = .info
            s.peak = .info
            s.activeSince = 0
            s.belowSince = 0
            s.quiet = false
            guard announced else { return nil }
            s.lastResolved = nowNanos
            s.lastResolvedPeak = ended
            return AlertRecord(
                containerID: sample.container.id, containerName: sample.container.name, serviceName: sample.container.serviceName,
                timestampNanos: nowNanos, level: .info, metricType: metric, value: value, threshold: t.warning,
                message: AlertMessage.resolution(metric: metric, value: value, threshold: t.warning), resolved: true,
                resolvedLevel: ended)
        }
        s.belowSince = 0
        let cooledDown = nowNanos &- s.lastRaised >= policy.cooldownNanos
        if s.level == .info {
            // A new episode — or the last one coming back within the cool-down of its resolution, which re-opens
            // it without a word: a flapping value makes one raise and one resolution per cool-down at most.
            s.activeSince = nowNanos
            s.level = target
            if s.lastResolved != 0, nowNanos &- s.lastResolved < policy.cooldownNanos, !cooledDown, target <= s.lastResolvedPeak {
                s.quiet = true
                s.peak = target
                return nil
            }
            s.quiet = false
            s.peak = target
            s.lastRaised = nowNanos
            return record(target, limit: target == .critical ? t.critical : t.warning)
        }
        s.level = target
        if s.quiet {
            // A re-opened episode is announced once it outlasts the cool-down, or goes beyond the level whose
            // end was announced (warning resolved, now critical: that is news).
            s.peak = max(s.peak, target)
            guard cooledDown || target > s.lastResolvedPeak else { return nil }
            s.quiet = false
            s.lastRaised = nowNanos
            return record(target, limit: target == .critical ? t.critical : t.warning)
        }
        if target > s.peak {
            // An escalation beyond what was announced (warning → critical) is news.
            s.peak = target
            s.lastRaised = nowNanos
            return record(target, limit: t.critical)
        }
        // Critical easing to warning, or coming back to the peak, is not news; a level that persists is
        // repeated after the cool-down.
        if cooledDown {
            s.lastRaised = nowNanos
            return record(target, limit: target == .critical ? t.critical : t.warning)
        }
        return nil
    }

    /// The alerts in force for one container.
    public func active(containerID: String) -> [ActiveAlert] {
        states.withLock { states in
            guard let state = states[containerID] else { return [] }
            var out: [ActiveAlert] = []
            for metric in MetricType.allCases {
                let m = state.metrics[metric.index]
                if m.level != .info {
                    out.append(ActiveAlert(metric: metric, level: m.level, sinceNanos: m.activeSince, value: m.lastValue))
                }
            }
            return out
        }
    }

    /// Alerts in force across all containers.
    public var activeCount: Int {
        states.withLock { states in states.values.reduce(0) { n, s in n + s.metrics.filter { $0.level != .info }.count } }
    }
}
