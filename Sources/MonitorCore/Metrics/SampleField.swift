/// A metric's field in a `Sample`, named as the property is: what `MetricCatalog` entries point at. A plain
/// enum and a switch, so that reading a field through the catalog costs what reading it by name does.
public enum SampleField: Sendable, CaseIterable {
    case cpuPercent
    case memoryUsage
    case memoryLimit
    case memoryPercent
    case networkRxBytes
    case networkTxBytes
    case networkRxRate
    case networkTxRate
    case pids
    case cpuUsageNanos
    case cpuSystemUsageNanos
    case memoryCache
    case memoryUsageRaw
    case networkRxPackets
    case networkTxPackets
    case blockReadBytes
    case blockWriteBytes
    case blockReadRate
    case blockWriteRate
    case cpuThrottledPeriods
    case memoryFailcnt
    case oomKills
    case psiCPU
    case psiMemory
    case psiIO
    case psiCPUSomeMicros
    case psiCPUFullMicros
    case psiMemorySomeMicros
    case psiMemoryFullMicros
    case psiIOSomeMicros
    case psiIOFullMicros

    /// The field's value in `s`.
    @inlinable
    public func read(_ s: Sample) -> MetricValue {
        switch self {
        case .cpuPercent: .decimal(s.cpuPercent)
        case .memoryUsage: .integer(s.memoryUsage)
        case .memoryLimit: .integer(s.memoryLimit)
        case .memoryPercent: .decimal(s.memoryPercent)
        case .networkRxBytes: .integer(s.networkRxBytes)
        case .networkTxBytes: .integer(s.networkTxBytes)
        case .networkRxRate: .decimal(s.networkRxRate)
        case .networkTxRate: .decimal(s.networkTxRate)
        case .pids: .integer(s.pids)
        case .cpuUsageNanos: .integer(s.cpuUsageNanos)
        case .cpuSystemUsageNanos: .integer(s.cpuSystemUsageNanos)
        case .memoryCache: .integer(s.memoryCache)
        case .memoryUsageRaw: .integer(s.memoryUsageRaw)
        case .networkRxPackets: .integer(s.networkRxPackets)
        case .networkTxPackets: .integer(s.networkTxPackets)
        case .blockReadBytes: .integer(s.blockReadBytes)
        case .blockWriteBytes: .integer(s.blockWriteBytes)
        case .blockReadRate: .decimal(s.blockReadRate)
        case .blockWriteRate: .decimal(s.blockWriteRate)
        case .cpuThrottledPeriods: .integer(s.cpuThrottledPeriods)
        case .memoryFailcnt: .integer(s.memoryFailcnt)
        case .oomKills: .integer(s.oomKills)
        case .psiCPU: s.psiCPU.map { .decimal($0) } ?? .absent
        case .psiMemory: s.psiMemory.map { .decimal($0) } ?? .absent
        case .psiIO: s.psiIO.map { .decimal($0) } ?? .absent
        case .psiCPUSomeMicros: s.psiCPUSomeMicros.map { .integer($0) } ?? .absent
        case .psiCPUFullMicros: s.psiCPUFullMicros.map { .integer($0) } ?? .absent
        case .psiMemorySomeMicros: s.psiMemorySomeMicros.map { .integer($0) } ?? .absent
        case .psiMemoryFullMicros: s.psiMemoryFullMicros.map { .integer($0) } ?? .absent
        case .psiIOSomeMicros: s.psiIOSomeMicros.map { .integer($0) } ?? .absent
        case .psiIOFullMicros: s.psiIOFullMicros.map { .integer($0) } ?? .absent
        }
    }
}

/// One metric's value as a sample holds it.
public enum MetricValue: Sendable, Equatable {
    case integer(UInt64)
    case decimal(Double)
    /// Not offered by this kernel (PSI without `CONFIG_PSI`).
    case absent

    @inlinable
    public var number: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .decimal(let v): v
        case .absent: nil
        }
    }
}
