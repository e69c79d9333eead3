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

    public init(
        containerID: String, containerName: String, serviceName: String?, timestampNanos: Int64, level: AlertLevel,
        metricType: MetricType, value: Double, threshold: Double, message: String, resolved: Bool = false
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
    }
}

/// The seed's alert messages: `CPU critique: 95.0% (seuil: 90%)`, `Trafic réseau élevé (RX): 120.5 MB/s
/// (seuil: 100 MB/s)` — values with one decimal, thresholds without a trailing `.0`, MB = 1024 × 1024 bytes.
public enum AlertMessage {
    public static func text(metric: MetricType, level: AlertLevel, value: Double, threshold: Double) -> String {
        let critical = level == .critical
        switch metric {
        case .cpuPercent:
            return "CPU \(critical ? "critique" : "élevé"): \(oneDecimal(value))% (seuil: \(plain(threshold))%)"
        case .memoryPercent:
            return "Mémoire \(critical ? "critique" : "élevée"): \(oneDecimal(value))% (seuil: \(plain(threshold))%)"
        case .networkRx, .networkTx:
            let direction = metric == .networkRx ? "RX" : "TX"
            let mb = ThresholdTable.megabyte
            return "Trafic réseau \(critical ? "critique" : "élevé") (\(direction)): \(oneDecimal(value / mb)) MB/s (seuil: \(plain(threshold / mb)) MB/s)"
        case .blockRead, .blockWrite:
            let direction = metric == .blockRead ? "lecture" : "écriture"
            let mb = ThresholdTable.megabyte
            return "E/S disque \(critical ? "critiques" : "élevées") (\(direction)): \(oneDecimal(value / mb)) MB/s (seuil: \(plain(threshold / mb)) MB/s)"
        case .memoryUsage, .memoryLimit:
            let mb = ThresholdTable.megabyte
            let what = metric == .memoryUsage ? "Utilisation mémoire" : "Limite mémoire"
            return "\(what) \(critical ? "critique" : "élevée"): \(oneDecimal(value / mb)) MB (seuil: \(plain(threshold / mb)) MB)"
        case .pids:
            return "Processus \(critical ? "critique" : "élevé"): \(plain(value)) (seuil: \(plain(threshold)))"
        }
    }

    /// 95.0, 75.2
    static func oneDecimal(_ v: Double) -> String {
        let tenths = (v * 10).rounded()
        let whole = Int64(tenths / 10)
        let fraction = Int64(abs(tenths.truncatingRemainder(dividingBy: 10)))
        return "\(tenths < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)"
    }

    /// 90 for 90.0, 12.5 for 12.5 (at most two decimals)
    static func plain(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\((v * 100).rounded() / 100)"
    }
}
