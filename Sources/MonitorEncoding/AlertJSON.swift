import MonitorCore
import NIOCore

/// An alert record as SPEC §5's JSON object (plus `resolved`).
extension ByteBuffer {
    public mutating func writeAlertJSON(_ a: AlertRecord, precision: TimestampPrecision) {
        writeStaticString("{")
        writeJSONKey("container_id"); writeJSONString(a.containerID)
        writeStaticString(","); writeJSONKey("container_name"); writeJSONString(a.containerName)
        writeStaticString(","); writeJSONKey("service_name"); writeJSONStringOrNull(a.serviceName)
        writeStaticString(","); writeJSONKey("timestamp")
        writeStaticString("\""); writeRFC3339(nanos: a.timestampNanos, precision: precision); writeStaticString("\"")
        writeStaticString(","); writeJSONKey("level"); writeJSONString(a.level.rawValue)
        writeStaticString(","); writeJSONKey("metric_type"); writeJSONString(a.metricType.rawValue)
        writeStaticString(","); writeJSONKey("value"); writeJSONDouble(a.value, decimals: 2)
        writeStaticString(","); writeJSONKey("threshold"); writeJSONDouble(a.threshold, decimals: 2)
        writeStaticString(","); writeJSONKey("message"); writeJSONString(a.message)
        writeStaticString(","); writeJSONKey("resolved"); writeStaticString(a.resolved ? "true" : "false")
        if let ended = a.resolvedLevel { writeStaticString(","); writeJSONKey("resolved_level"); writeJSONString(ended.rawValue) }
        writeStaticString("}")
    }

    /// `[a,b,…]` of samples. Inlinable: specialized where it is called (unspecialized, iterating a lazy
    /// filter through the generic witnesses allocated once per sample — 100 mallocs a tick in the hub's fan-out).
    @inlinable
    public mutating func writeSamplesArray(_ samples: some Collection<Sample>, precision: TimestampPrecision) {
        writeStaticString("[")
        var first = true
        for sample in samples {
            if !first { writeStaticString(",") }
            first = false
            writeSampleJSON(sample, precision: precision)
        }
        writeStaticString("]")
    }
}
