import Synchronization

/// A metric's alert thresholds: a level is reached when the value is ≥ its threshold.
public struct Threshold: Sendable, Equatable, Codable {
    public var warning: Double
    public var critical: Double
    public var enabled: Bool

    public init(warning: Double, critical: Double, enabled: Bool = true) {
        self.warning = warning
        self.critical = critical
        self.enabled = enabled
    }

    /// Why a threshold cannot be used, in the words the original's clients read; nil when it is valid.
    public var validationFailure: String? {
        guard warning.isFinite, critical.isFinite else { return "Les seuils doivent être des nombres finis" }
        guard warning >= 0, critical >= 0 else { return "Les seuils doivent être positifs" }
        guard warning < critical else { return "Le seuil d'avertissement doit être inférieur au seuil critique" }
        return nil
    }
}

/// The thresholds in force, per metric. Read by alert evaluation on the tick, changed by the API.
public final class ThresholdTable: Sendable {
    private let table: Mutex<[MetricType: Threshold]>

    /// MB = 1024 × 1024 bytes, as the original.
    public static let megabyte: Double = 1024 * 1024

    public static func defaults(cpu: (Double, Double) = (70, 90), memory: (Double, Double) = (80, 95)) -> [MetricType: Threshold] {
        [
            .cpuPercent: Threshold(warning: cpu.0, critical: cpu.1),
            .memoryPercent: Threshold(warning: memory.0, critical: memory.1),
            .networkRx: Threshold(warning: 100 * megabyte, critical: 500 * megabyte),
            .networkTx: Threshold(warning: 100 * megabyte, critical: 500 * megabyte),
        ]
    }

    public init(_ initial: [MetricType: Threshold] = ThresholdTable.defaults()) {
        table = Mutex(initial)
    }

    public var all: [MetricType: Threshold] { table.withLock { $0 } }

    public func threshold(for metric: MetricType) -> Threshold? { table.withLock { $0[metric] } }

    public func set(_ threshold: Threshold, for metric: MetricType) {
        table.withLock { $0[metric] = threshold }
    }

    /// Sets several at once, under one lock (a configuration applies as a whole).
    public func set(_ thresholds: [MetricType: Threshold]) {
        table.withLock { table in
            for (metric, threshold) in thresholds { table[metric] = threshold }
        }
    }
}
