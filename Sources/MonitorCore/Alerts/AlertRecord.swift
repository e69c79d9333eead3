/// One alert (SPEC §5): what crossed which threshold, when, with the seed's French message.
public struct AlertRecord: Sendable {
    public var containerID: String
    public var containerName: String
    public var serviceName: String?
    public var timestampNanos: Int64
    public var level: AlertLevel
    public var metricType: MetricType
    public var value: Double
    public var threshold: Double
    public var message: String
    /// A resolution: the value fell back below the threshold (streamed with level `info`).
    public var resolved: Bool
    /// For a resolution, the highest level of the episode that ended (so a subscriber to `critical` alerts
    /// hears that it ended, even if it eased through `warning` on the way down).
    public var resolvedLevel: AlertLevel?

    public init(
        containerID: String, containerName: String, serviceName: String?, timestampNanos: Int64, level: AlertLevel,
        metricType: MetricType, value: Double, threshold: Double, message: String, resolved: Bool = false,
        resolvedLevel: AlertLevel? = nil
    ) {
        self.containerID = containerID
        self.containerName = containerName
        self.serviceName = serviceName
        self.timestampNanos = timestampNanos
        self.level = level
        self.metricType = metricType
        self.value = value
        self.threshold = threshold
        self.message = message
        self.resolved = resolved
        self.resolvedLevel = resolvedLevel
    }
}

extension AlertRecord {
    /// Whether a subscriber to `levels` (empty: all) hears this record. A resolution is heard by those who
    /// heard the alert it ends, as well as by `info` subscribers.
    public func matches(levels: Set<AlertLevel>) -> Bool {
        if levels.isEmpty || levels.contains(level) { return true }
        if let ended = resolvedLevel { return levels.contains(ended) }
        return false
    }
}

/// The seed's alert messages: `CPU critique: 95.0% (seuil: 90%)`, `Trafic réseau élevé (RX): 120.5 MB/s
/// (seuil: 100 MB/s)` — values with one decimal, thresholds without a trailing `.0`, MB = 1024 × 1024 bytes.
public enum AlertMessage {
    public static func text(metric: MetricType, level: AlertLevel, value: Double, threshold: Double) -> String {
        let spec = metric.spec
        guard let words = spec.alert else { return "\(metric.rawValue): \(value) (seuil: \(threshold))" }
        let critical = level == .critical
        let adjective =
            words.plural
            ? (critical ? "critiques" : (words.feminine ? "élevées" : "élevés"))
            : (critical ? "critique" : (words.feminine ? "élevée" : "élevé"))
        let (v, t) = (formatted(spec.unit, value, decimals: true), formatted(spec.unit, threshold, decimals: false))
        // The direction goes after the adjective: `Trafic réseau élevé (RX): …`.
        let direction = words.direction.map { " (\($0))" } ?? ""
        return "\(words.subject) \(adjective)\(direction): \(v) (seuil: \(t))"
    }

    /// A resolution: `CPU revenu à la normale: 12.3% (seuil: 70%)`, `Trafic réseau (RX) revenu à la normale: …`.
    public static func resolution(metric: MetricType, value: Double, threshold: Double) -> String {
        let spec = metric.spec
        guard let words = spec.alert else { return "\(metric.rawValue): \(value) (seuil: \(threshold))" }
        let direction = words.direction.map { " (\($0))" } ?? ""
        let back = words.plural ? (words.feminine ? "revenues" : "revenus") : (words.feminine ? "revenue" : "revenu")
        return "\(words.subject)\(direction) \(back) à la normale: \(formatted(spec.unit, value, decimals: true)) (seuil: \(formatted(spec.unit, threshold, decimals: false)))"
    }

    /// A value in the metric's unit: one decimal for values, none needed for thresholds.
    private static func formatted(_ unit: MetricSpec.Unit, _ v: Double, decimals: Bool) -> String {
        let mb = ThresholdTable.megabyte
        func number(_ x: Double) -> String { decimals ? oneDecimal(x) : plain(x) }
        switch unit {
        case .percent: return number(v) + "%"
        case .bytesPerSecond: return number(v / mb) + " MB/s"
        case .bytes: return number(v / mb) + " MB"
        case .nanoseconds, .microseconds, .count: return plain(v)
        }
    }

    /// 95.0, 75.2. Total: huge values are written in exponent form (1.2e+29), non-finite ones as Swift
    /// writes them — a message must never be a reason to crash.
    static func oneDecimal(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e15 else { return "\(v)" }
        let tenths = (v * 10).rounded()
        let whole = Int64(saturating: tenths / 10)
        let fraction = Int64(saturating: abs(tenths.truncatingRemainder(dividingBy: 10)))
        return "\(tenths < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)"
    }

    /// 90 for 90.0, 12.5 for 12.5 (at most two decimals)
    static func plain(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e15 else { return "\(v)" }
        if v == v.rounded() { return String(Int64(saturating: v)) }
        return "\((v * 100).rounded() / 100)"
    }
}
