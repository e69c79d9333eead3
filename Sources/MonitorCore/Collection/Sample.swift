/// One container's counters at one collection tick, with rates derived from the previous tick.
///
/// A plain value: numbers plus a reference to the container's identity, so writing one into a ring buffer
/// allocates nothing. Field meanings are SPEC §2.
public struct Sample: Sendable {
    public var container: ContainerIdentity
    /// Wall-clock time of the read, nanoseconds since the Unix epoch (UTC).
    public var timestampNanos: Int64

    public var cpuPercent: Double
    /// Container CPU time, nanoseconds, cumulative.
    public var cpuUsageNanos: UInt64
    /// Host CPU time as Docker reports it (`system_cpu_usage`), nanoseconds, cumulative.
    public var cpuSystemUsageNanos: UInt64
    public var cpuThrottledPeriods: UInt64

    /// Bytes, `docker stats` convention: usage − inactive_file.
    public var memoryUsage: UInt64
    /// The cgroup limit, or the host's MemTotal when unlimited.
    public var memoryLimit: UInt64
    public var memoryPercent: Double
    /// Page cache bytes.
    public var memoryCache: UInt64
    /// Bytes charged to the cgroup, page cache included (memory.current, memory.usage_in_bytes): cAdvisor's
    /// `container_memory_usage_bytes`.
    public var memoryUsageRaw: UInt64
    public var memoryFailcnt: UInt64
    public var oomKills: UInt64

    public var networkRxBytes: UInt64
    public var networkTxBytes: UInt64
    public var networkRxPackets: UInt64
    public var networkTxPackets: UInt64
    /// Bytes per second over the last tick.
    public var networkRxRate: Double
    public var networkTxRate: Double

    public var blockReadBytes: UInt64
    public var blockWriteBytes: UInt64
    public var blockReadRate: Double
    public var blockWriteRate: Double
    /// How long before `timestampNanos` the block counters were read (they are read once a second, see
    /// ReadCadence): history spans its block rates between the counters' own read times.
    public var blockCountersAgeNanos: Int64

    public var pids: UInt64

    /// PSI "some avg10" in percent, where the kernel offers it.
    public var psiCPU: Double?
    public var psiMemory: Double?
    public var psiIO: Double?
    /// PSI `total=`, microseconds, cumulative: how long some task waited (`some`) and how long every task was
    /// stalled (`full`) on the resource. For the exposition's `container_pressure_*_seconds_total`.
    public var psiCPUSomeMicros: UInt64?
    public var psiCPUFullMicros: UInt64?
    public var psiMemorySomeMicros: UInt64?
    public var psiMemoryFullMicros: UInt64?
    public var psiIOSomeMicros: UInt64?
    public var psiIOFullMicros: UInt64?

    public init(container: ContainerIdentity, timestampNanos: Int64) {
        self.container = container
        self.timestampNanos = timestampNanos
        cpuPercent = 0
        cpuUsageNanos = 0
        cpuSystemUsageNanos = 0
        cpuThrottledPeriods = 0
        memoryUsage = 0
        memoryLimit = 0
        memoryPercent = 0
        memoryCache = 0
        memoryUsageRaw = 0
        memoryFailcnt = 0
        oomKills = 0
        networkRxBytes = 0
        networkTxBytes = 0
        networkRxPackets = 0
        networkTxPackets = 0
        networkRxRate = 0
        networkTxRate = 0
        blockReadBytes = 0
        blockWriteBytes = 0
        blockReadRate = 0
        blockWriteRate = 0
        blockCountersAgeNanos = 0
        pids = 0
    }
}
