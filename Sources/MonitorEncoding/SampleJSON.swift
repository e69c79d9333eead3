import MonitorCore
import NIOCore

/// A sample as the JSON object of SPEC §2 (the seed's field names first, then the original record's and our
/// extras). The store writes one per history line and the WebSocket one per subscriber message, so it is
/// written through one `JSONCursor` over a bound reserved once: ≈ 0.5 µs and no allocation (ServerBenchmarks).
extension ByteBuffer {
    public mutating func writeSampleJSON(_ s: Sample, precision: TimestampPrecision) {
        writeJSON(bound: Self.sampleJSONBound(s)) { $0.sample(s, precision: precision) }
    }

    /// Keys and punctuation (under 700 bytes), 4 strings, a timestamp and 26 numbers at their longest.
    static func sampleJSONBound(_ s: Sample) -> Int {
        1024 + JSONCursor.maxTimestampBytes + 26 * JSONCursor.maxDoubleBytes
            + JSONCursor.maxStringBytes(s.container.id) + JSONCursor.maxStringBytes(s.container.name)
            + JSONCursor.maxStringBytes(s.container.serviceName) + JSONCursor.maxStringBytes(s.container.projectName)
    }
}

extension JSONCursor {
    mutating func sample(_ s: Sample, precision: TimestampPrecision) {
        byte(UInt8(ascii: "{"))
        key("container_id"); string(s.container.id)
        nextKey("container_name"); string(s.container.name)
        nextKey("service_name"); stringOrNull(s.container.serviceName)
        nextKey("project_name"); stringOrNull(s.container.projectName)
        nextKey("timestamp"); timestamp(nanos: s.timestampNanos, precision: precision)
        nextKey("cpu_percent"); double(s.cpuPercent, decimals: 2)
        nextKey("memory_usage"); decimal(s.memoryUsage)
        nextKey("memory_limit"); decimal(s.memoryLimit)
        nextKey("memory_percent"); double(s.memoryPercent, decimals: 2)
        nextKey("network_rx_bytes"); decimal(s.networkRxBytes)
        nextKey("network_tx_bytes"); decimal(s.networkTxBytes)
        nextKey("network_rx_rate"); double(s.networkRxRate, decimals: 1)
        nextKey("network_tx_rate"); double(s.networkTxRate, decimals: 1)
        nextKey("pids"); decimal(s.pids)
        nextKey("cpu_usage"); decimal(s.cpuUsageNanos)
        nextKey("cpu_system_usage"); decimal(s.cpuSystemUsageNanos)
        nextKey("memory_cache"); decimal(s.memoryCache)
        nextKey("network_rx_packets"); decimal(s.networkRxPackets)
        nextKey("network_tx_packets"); decimal(s.networkTxPackets)
        nextKey("block_read_bytes"); decimal(s.blockReadBytes)
        nextKey("block_write_bytes"); decimal(s.blockWriteBytes)
        nextKey("block_read_rate"); double(s.blockReadRate, decimals: 1)
        nextKey("block_write_rate"); double(s.blockWriteRate, decimals: 1)
        nextKey("cpu_throttled_periods"); decimal(s.cpuThrottledPeriods)
        nextKey("memory_failcnt"); decimal(s.memoryFailcnt)
        nextKey("oom_kills"); decimal(s.oomKills)
        nextKey("psi_cpu_some_avg10"); optionalDouble(s.psiCPU)
        nextKey("psi_memory_some_avg10"); optionalDouble(s.psiMemory)
        nextKey("psi_io_some_avg10"); optionalDouble(s.psiIO)
        byte(UInt8(ascii: "}"))
    }

    private mutating func optionalDouble(_ value: Double?) {
        if let value { double(value, decimals: 2) } else { raw("null") }
    }
}
