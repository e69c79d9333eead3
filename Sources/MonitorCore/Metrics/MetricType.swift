/// The metrics a threshold can watch (the original's `MetricType`): each names its `MetricCatalog` entry (the
/// sample field it watches, its unit and the words of its alerts). Network and block values are rates in bytes
/// per second; memory_usage and memory_limit are bytes; the rest are what their names say.
public enum MetricType: String, Sendable, CaseIterable, Codable {
    case cpuPercent = "cpu_percent"
    case memoryUsage = "memory_usage"
    case memoryPercent = "memory_percent"
    case memoryLimit = "memory_limit"
    case networkRx = "network_rx"
    case networkTx = "network_tx"
    case blockRead = "block_read"
    case blockWrite = "block_write"
    case pids = "pids"

    /// A dense index (0..<9) for per-metric arrays on the tick.
    @inlinable
    public var index: Int {
        switch self {
        case .cpuPercent: 0
        case .memoryUsage: 1
        case .memoryPercent: 2
        case .memoryLimit: 3
        case .networkRx: 4
        case .networkTx: 5
        case .blockRead: 6
        case .blockWrite: 7
        case .pids: 8
        }
    }

    /// Its entry in the catalog: JSON key, unit, alert words, exposition name.
    public var spec: MetricSpec { MetricCatalog.byMetricType[index] }

    /// This metric's value in a sample.
    @inlinable
    public func value(in s: Sample) -> Double { MetricCatalog.fieldByMetricType[index].read(s).number ?? 0 }
}

/// Alert levels (the original's `AlertLevel`).
public enum AlertLevel: String, Sendable, CaseIterable, Codable, Comparable {
    case info, warning, critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (a: AlertLevel, b: AlertLevel) -> Bool { a.rank < b.rank }
}
