/// The metrics a threshold can watch (the original's `MetricType`). Network and block values are rates in
/// bytes per second; memory_usage and memory_limit are bytes; the rest are what their names say.
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

    /// This metric's value in a sample.
    @inlinable
    public func value(in s: Sample) -> Double {
        switch self {
        case .cpuPercent: s.cpuPercent
        case .memoryUsage: Double(s.memoryUsage)
        case .memoryPercent: s.memoryPercent
        case .memoryLimit: Double(s.memoryLimit)
        case .networkRx: s.networkRxRate
        case .networkTx: s.networkTxRate
        case .blockRead: s.blockReadRate
        case .blockWrite: s.blockWriteRate
        case .pids: Double(s.pids)
        }
    }
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
