import MonitorCore
import NIOCore

/// A sample as the JSON object of SPEC §2: the container and the time, then every metric of `MetricCatalog`
/// in its order (the seed's field names first, then the original record's and our extras). The store writes one per history line and the WebSocket one per subscriber message, so it is
/// written through one `JSONCursor` over a bound reserved once: ≈ 0.5 µs and no allocation (ServerBenchmarks).
extension ByteBuffer {
    public mutating func writeSampleJSON(_ s: Sample, precision: TimestampPrecision) {
        writeJSON(bound: Self.sampleJSONBound(s)) { $0.sample(s, precision: precision) }
    }

    /// Keys and punctuation (under 700 bytes), 4 strings, a timestamp and the numbers at their longest.
    static func sampleJSONBound(_ s: Sample) -> Int {
        1024 + JSONCursor.maxTimestampBytes + MetricCatalog.layout.count * JSONCursor.maxDoubleBytes
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
        // Every metric, from the catalog: its key, then its value as the catalog says to write it.
        for metric in MetricCatalog.layout {
            nextKey(metric.key)
            switch (metric.field.read(s), metric.format) {
            case (.integer(let v), _): decimal(v)
            case (.decimal(let v), .decimal(let places)): double(v, decimals: places)
            case (.decimal(let v), .integer): decimal(UInt64(saturating: v))
            case (.absent, _): raw("null")
            }
        }
        byte(UInt8(ascii: "}"))
    }
}
