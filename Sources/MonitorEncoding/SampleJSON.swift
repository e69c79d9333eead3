import MonitorCore
import NIOCore

/// A sample as the JSON object of SPEC §2 (the seed's field names first, then the original record's and our
/// extras), written by hand into a ByteBuffer.
extension ByteBuffer {
    public mutating func writeSampleJSON(_ s: Sample, precision: TimestampPrecision) {
        writeStaticString("{")
        writeJSONKey("container_id"); writeJSONString(s.container.id)
        writeStaticString(","); writeJSONKey("container_name"); writeJSONString(s.container.name)
        writeStaticString(","); writeJSONKey("service_name"); writeJSONStringOrNull(s.container.serviceName)
        writeStaticString(","); writeJSONKey("project_name"); writeJSONStringOrNull(s.container.projectName)
        writeStaticString(","); writeJSONKey("timestamp")
        writeStaticString("\""); writeRFC3339(nanos: s.timestampNanos, precision: precision); writeStaticString("\"")
        writeStaticString(","); writeJSONKey("cpu_percent"); writeJSONDouble(s.cpuPercent, decimals: 2)
        writeStaticString(","); writeJSONKey("memory_usage"); writeDecimal(s.memoryUsage)
        writeStaticString(","); writeJSONKey("memory_limit"); writeDecimal(s.memoryLimit)
        writeStaticString(","); writeJSONKey("memory_percent"); writeJSONDouble(s.memoryPercent, decimals: 2)
        writeStaticString(","); writeJSONKey("network_rx_bytes"); writeDecimal(s.networkRxBytes)
        writeStaticString(","); writeJSONKey("network_tx_bytes"); writeDecimal(s.networkTxBytes)
        writeStaticString(","); writeJSONKey("network_rx_rate"); writeJSONDouble(s.networkRxRate, decimals: 1)
        writeStaticString(","); writeJSONKey("network_tx_rate"); writeJSONDouble(s.networkTxRate, decimals: 1)
        writeStaticString(","); writeJSONKey("pids"); writeDecimal(s.pids)
        writeStaticString(","); writeJSONKey("cpu_usage"); writeDecimal(s.cpuUsageNanos)
        writeStaticString(","); writeJSONKey("cpu_system_usage"); writeDecimal(s.cpuSystemUsageNanos)
        writeStaticString(","); writeJSONKey("memory_cache"); writeDecimal(s.memoryCache)
        writeStaticString(","); writeJSONKey("network_rx_packets"); writeDecimal(s.networkRxPackets)
        writeStaticString(","); writeJSONKey("network_tx_packets"); writeDecimal(s.networkTxPackets)
        writeStaticString(","); writeJSONKey("block_read_bytes"); writeDecimal(s.blockReadBytes)
        writeStaticString(","); writeJSONKey("block_write_bytes"); writeDecimal(s.blockWriteBytes)
        writeStaticString(","); writeJSONKey("block_read_rate"); writeJSONDouble(s.blockReadRate, decimals: 1)
        writeStaticString(","); writeJSONKey("block_write_rate"); writeJSONDouble(s.blockWriteRate, decimals: 1)
        writeStaticString(","); writeJSONKey("cpu_throttled_periods"); writeDecimal(s.cpuThrottledPeriods)
        writeStaticString(","); writeJSONKey("memory_failcnt"); writeDecimal(s.memoryFailcnt)
        writeStaticString(","); writeJSONKey("oom_kills"); writeDecimal(s.oomKills)
        writeStaticString(","); writeJSONKey("psi_cpu_some_avg10"); writeOptionalDouble(s.psiCPU)
        writeStaticString(","); writeJSONKey("psi_memory_some_avg10"); writeOptionalDouble(s.psiMemory)
        writeStaticString(","); writeJSONKey("psi_io_some_avg10"); writeOptionalDouble(s.psiIO)
        writeStaticString("}")
    }

    private mutating func writeOptionalDouble(_ value: Double?) {
        if let value { writeJSONDouble(value, decimals: 2) } else { writeStaticString("null") }
    }
}
