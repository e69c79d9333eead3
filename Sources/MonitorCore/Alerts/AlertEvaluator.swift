import Synchronization

/// How alerts behave over time (SPEC §5): no storm at sub-second intervals.
public struct AlertPolicy: Sendable {
    /// A level that persists is raised again only after this long.
    public var cooldownNanos: Int64
    /// A level ends when the value falls below its threshold × (1 − hysteresis).
    public var hysteresis: Double

    public init(cooldownSeconds: Double = 300, hysteresis: Double = 0.1) {
        cooldownNanos = Int64(saturating: cooldownSeconds * 1e9)
        self.hysteresis = hysteresis
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
    public let raised = Atomic<UInt64>(0)
    public let resolved = Atomic<UInt64>(0)

    public init(thresholds: ThresholdTable, log: AlertLog, policy: AlertPolicy = AlertPolicy()) {
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
            if event.resolved { resolved.add(1, ordering: .relaxed) } else { raised.add(1, ordering: .relaxed) }
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

        if target > s.level {
            // A rise: normal → warning, warning → critical, normal → critical.
            if s.level == .info { s.activeSince = nowNanos }
            s.level = target
            s.peak = max(s.peak, target)
            s.lastRaised = nowNanos
            return record(target, limit: target == .critical ? t.critical : t.warning)
        }
        if target == .info {
            guard s.level != .info else { return nil }
            let ended = s.peak
            s.level = .info
            s.peak = .info
            s.activeSince = 0
            return AlertRecord(
                containerID: sample.container.id, containerName: sample.container.name, serviceName: sample.container.serviceName,
                timestampNanos: nowNanos, level: .info, metricType: metric, value: value, threshold: t.warning,
                message: AlertMessage.resolution(metric: metric, value: value, threshold: t.warning), resolved: true,
                resolvedLevel: ended)
        }
        // Critical easing to warning is not news; a level that persists is repeated after the cool-down.
        s.level = target
        if nowNanos - s.lastRaised >= policy.cooldownNanos {
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
