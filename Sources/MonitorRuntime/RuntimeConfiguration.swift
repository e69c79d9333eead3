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
public struct ConfigurationChange: Sendable {
    public var interval: Duration?
    public var retentionDays: Int?
    public var thresholds: [ThresholdChange]

    public init(interval: Duration? = nil, retentionDays: Int? = nil, thresholds: [ThresholdChange] = []) {
        self.interval = interval
        self.retentionDays = retentionDays
        self.thresholds = thresholds
    }
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
    /// Why `change` cannot be applied, nil when every part of it is within bounds.
    public func refusal(of change: ConfigurationChange) -> RuntimeError? {
        if let interval = change.interval, !self.interval.contains(interval) {
            return .invalid(
                "collection_interval doit être entre \(self.interval.lowerBound.secondsText) et \(self.interval.upperBound.secondsText) secondes (reçu: \(interval.secondsText))"
            )
        }
        if let days = change.retentionDays, !retentionDays.contains(days) {
            return .invalid("retention_days doit être entre \(retentionDays.lowerBound) et \(retentionDays.upperBound) (reçu: \(days))")
        }
        return nil
    }
}
