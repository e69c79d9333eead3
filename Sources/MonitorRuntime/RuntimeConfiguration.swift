import MonitorCore

/// What `POST /config` may set at run time and within which bounds (SPEC §4: 0.1–60 s, 1–30 days). The bounds
/// are declared once, in the settings table beside each setting's start-up range, and handed here.
public struct RuntimeLimits: Sendable {
    public var interval: ClosedRange<Duration>
    public var retentionDays: ClosedRange<Int>

    public init(interval: ClosedRange<Duration> = .milliseconds(100)...(.seconds(60)), retentionDays: ClosedRange<Int> = 1...30) {
        self.interval = interval
        self.retentionDays = retentionDays
    }
}

/// One change of the runtime configuration (`POST /config`): validated as a whole, then applied as a whole.
/// The interval is kept in seconds as the client gave it: the range is checked on that value (a value a hair
/// outside it is refused, not rounded in) and a refusal quotes it; it becomes a `Duration` once accepted.
public struct ConfigurationChange: Sendable {
    public var intervalSeconds: Double?
    public var retentionDays: Int?
    public var thresholds: [ThresholdChange]

    public init(intervalSeconds: Double? = nil, retentionDays: Int? = nil, thresholds: [ThresholdChange] = []) {
        self.intervalSeconds = intervalSeconds
        self.retentionDays = retentionDays
        self.thresholds = thresholds
    }

    /// The interval to apply (only meaningful once the change is accepted).
    public var interval: Duration? { intervalSeconds.map { .seconds(saturating: $0) } }
}

/// One threshold to set, for one metric, in one scope (everywhere, a service, a container).
public struct ThresholdChange: Sendable {
    public var metric: MetricType
    public var scope: ThresholdScope
    public var threshold: Threshold

    public init(metric: MetricType, scope: ThresholdScope, threshold: Threshold) {
        self.metric = metric
        self.scope = scope
        self.threshold = threshold
    }
}

extension RuntimeLimits {
    /// Why `change`'s interval or retention cannot be applied, nil when both are within bounds.
    public func refusal(of change: ConfigurationChange) -> RuntimeError? {
        if let seconds = change.intervalSeconds,
            !(seconds.isFinite && seconds >= interval.lowerBound.seconds && seconds <= interval.upperBound.seconds)
        {
            return .invalid(
                "collection_interval doit être entre \(interval.lowerBound.secondsText) et \(interval.upperBound.secondsText) secondes (reçu: \(seconds))"
            )
        }
        if let days = change.retentionDays, !retentionDays.contains(days) {
            return .invalid("retention_days doit être entre \(retentionDays.lowerBound) et \(retentionDays.upperBound) (reçu: \(days))")
        }
        return nil
    }
}
