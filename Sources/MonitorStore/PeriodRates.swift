import MonitorCore

/// Rates of a persisted line over its whole persistence period (SPEC §7). With collection every 0.1 s and a
/// line persisted every second, the sample's own rates cover only its last 0.1 s slice: a container busy in
/// bursts would be written as 0 % or 100 % depending on which slice the line fell on. The counters are
/// cumulative, so the rate over the period is exact: (counter now − counter at the previous persisted line)
/// ÷ the time between the two lines.
///
/// Used by the store's task only, once per persisted tick, in tick order.
struct PeriodRates {
    private struct Base {
        var wallNanos: Int64
        /// When the block counters were read (wall): once a second, not at every tick.
        var blockWallNanos: Int64
        var cpuNanos: UInt64
        var rxBytes: UInt64
        var txBytes: UInt64
        var readBytes: UInt64
        var writeBytes: UInt64
        /// The `apply` call that last saw this container, to forget containers that are gone.
        var generation: UInt64
    }

    private var bases: [String: Base] = [:]
    private var generation: UInt64 = 0

    /// Rewrites each sample's CPU %, network and block I/O rates over the span since that container's
    /// previous persisted sample. The first line of a container, a clock that did not move forward and a
    /// counter that went backwards (a restart) keep the sample's own rates.
    mutating func apply<Samples: MutableCollection<Sample> & RandomAccessCollection>(to samples: inout Samples) {
        generation &+= 1
        for i in samples.indices {
            let s = samples[i]
            let now = Base(
                wallNanos: s.timestampNanos, blockWallNanos: s.timestampNanos &- s.blockCountersAgeNanos,
                cpuNanos: s.cpuUsageNanos, rxBytes: s.networkRxBytes, txBytes: s.networkTxBytes,
                readBytes: s.blockReadBytes, writeBytes: s.blockWriteBytes, generation: generation)
            defer { bases[s.container.id] = now }
            // Only the previous persisted line's base: a container absent for a while (stopped, restarted
            // under the same id) starts again with its own rates, not a rate over its downtime.
            guard let base = bases[s.container.id], base.generation == generation &- 1, now.wallNanos > base.wallNanos
            else { continue }
            let nanos = Double(now.wallNanos - base.wallNanos)
            let seconds = nanos / 1e9
            if now.cpuNanos >= base.cpuNanos { samples[i].cpuPercent = Double(now.cpuNanos - base.cpuNanos) / nanos * 100 }
            if now.rxBytes >= base.rxBytes { samples[i].networkRxRate = Double(now.rxBytes - base.rxBytes) / seconds }
            if now.txBytes >= base.txBytes { samples[i].networkTxRate = Double(now.txBytes - base.txBytes) / seconds }
            // Block counters over the span between their own reads; none in between: the sample's own rates.
            if now.blockWallNanos > base.blockWallNanos {
                let blockSeconds = Double(now.blockWallNanos - base.blockWallNanos) / 1e9
                if now.readBytes >= base.readBytes { samples[i].blockReadRate = Double(now.readBytes - base.readBytes) / blockSeconds }
                if now.writeBytes >= base.writeBytes { samples[i].blockWriteRate = Double(now.writeBytes - base.writeBytes) / blockSeconds }
            }
        }
        // Containers not in this tick are gone (or not yet read): forget them once they are many.
        if bases.count > samples.count + 64 { bases = bases.filter { $0.value.generation == generation } }
    }
}
