import CSupport

/// Turns two raw reads of one container into a sample: percentages and rates from deltas (all but block I/O's,
/// see SpanRate), with SPEC §2's
/// rules — a first read has rates of 0, and a counter that went backwards (restart, wrap) resets its delta
/// instead of producing a negative or huge rate. Pure arithmetic, no allocation.
public enum SampleDerivation {
    /// Bits of the files a sample cannot do without: no CPU and no memory means no sample.
    static let essentialMask = WD_F_CPU_USAGE.bit | WD_F_MEM_USAGE.bit

    @inline(__always)
    static func delta(_ current: UInt64, _ previous: UInt64) -> UInt64 {
        current >= previous ? current - previous : 0
    }

    @inline(__always)
    static func rate(_ current: UInt64, _ previous: UInt64, seconds: Double) -> Double {
        seconds > 0 ? Double(delta(current, previous)) / seconds : 0
    }

    /// - Parameters:
    ///   - previous: the container's previous read, nil for its first.
    ///   - elapsedNanos: monotonic time between the two reads.
    ///   - known: the files whose fields in `current` hold a read value (read now or carried); nil = the
    ///     ones read this time (`ok_mask`).
    ///   - hostMemTotal: the limit reported for a container without one.
    public static func sample(
        identity: ContainerIdentity, current c: wd_raw, previous p: wd_raw?, known: UInt32? = nil, elapsedNanos: UInt64,
        wallNanos: Int64, systemCPUNanos: UInt64, hostMemTotal: UInt64
    ) -> Sample {
        var s = Sample(container: identity, timestampNanos: wallNanos)
        s.cpuUsageNanos = c.cpu_usage_ns
        s.cpuSystemUsageNanos = systemCPUNanos
        s.cpuThrottledPeriods = c.cpu_throttled_periods

        // docker stats: usage minus inactive file pages, when they are below usage.
        s.memoryUsage = c.mem_inactive_file < c.mem_usage ? c.mem_usage - c.mem_inactive_file : c.mem_usage
        s.memoryLimit = (c.mem_limit == 0 || (hostMemTotal > 0 && c.mem_limit > hostMemTotal)) ? hostMemTotal : c.mem_limit
        s.memoryPercent = s.memoryLimit > 0 ? Double(s.memoryUsage) / Double(s.memoryLimit) * 100 : 0
        s.memoryCache = c.mem_cache
        s.memoryUsageRaw = c.mem_usage
        s.memoryFailcnt = c.mem_failcnt
        s.oomKills = c.oom_kills

        s.networkRxBytes = c.net_rx_bytes
        s.networkTxBytes = c.net_tx_bytes
        s.networkRxPackets = c.net_rx_packets
        s.networkTxPackets = c.net_tx_packets
        s.blockReadBytes = c.blk_read_bytes
        s.blockWriteBytes = c.blk_write_bytes
        s.pids = c.pids

        let known = known ?? c.ok_mask
        if known & WD_F_PSI_CPU.bit != 0 {
            s.psiCPU = Double(c.psi_cpu.some_avg10) / 100
            (s.psiCPUSomeMicros, s.psiCPUFullMicros) = Self.totals(c.psi_cpu)
        }
        if known & WD_F_PSI_MEM.bit != 0 {
            s.psiMemory = Double(c.psi_mem.some_avg10) / 100
            (s.psiMemorySomeMicros, s.psiMemoryFullMicros) = Self.totals(c.psi_mem)
        }
        if known & WD_F_PSI_IO.bit != 0 {
            s.psiIO = Double(c.psi_io.some_avg10) / 100
            (s.psiIOSomeMicros, s.psiIOFullMicros) = Self.totals(c.psi_io)
        }

        guard let p, elapsedNanos > 0 else { return s }
        let seconds = Double(elapsedNanos) / 1e9
        s.cpuPercent = Double(delta(c.cpu_usage_ns, p.cpu_usage_ns)) / Double(elapsedNanos) * 100
        s.networkRxRate = rate(c.net_rx_bytes, p.net_rx_bytes, seconds: seconds)
        s.networkTxRate = rate(c.net_tx_bytes, p.net_tx_bytes, seconds: seconds)
        // Block I/O rates are not a delta over one tick: block counters are read once a second (ReadCadence),
        // so their rates span two real reads (SpanRate, in the collector).
        return s
    }

    /// A PSI file's totals; UINT64_MAX (the C parser's "not given") is nil.
    @inline(__always) static func totals(_ psi: wd_psi) -> (some: UInt64?, full: UInt64?) {
        (psi.some_total_us == .max ? nil : psi.some_total_us, psi.full_total_us == .max ? nil : psi.full_total_us)
    }
}
