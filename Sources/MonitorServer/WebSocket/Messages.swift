import MonitorCore
import MonitorEncoding
import NIOCore

/// The server's WebSocket messages: `{"type": T, "data": {…}, "timestamp": "<RFC 3339>"}` with the
/// original's message types. Each is the bytes of one text frame, written once and sent as they are (a String
/// would be two more copies and allocations per message: ByteBuffer → String → the frame's ByteBuffer).
enum MessageType: String {
    case metricsUpdate = "metrics_update"
    case alert
    case statusUpdate = "status_update"
    case subscriptionAck = "subscription_ack"
    case error
    case ping
    case pong
}

enum Messages {
    /// Wraps `data` (already JSON) in the envelope.
    static func envelope(
        _ type: MessageType, precision: TimestampPrecision = .milliseconds, capacity: Int = 1024, data: (inout ByteBuffer) -> Void
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
        buffer.writeStaticString("{\"type\":")
        buffer.writeJSONString(type.rawValue)
        buffer.writeStaticString(",\"data\":")
        data(&buffer)
        buffer.writeStaticString(",\"timestamp\":\"")
        buffer.writeRFC3339(nanos: Clocks.wallNanos(), precision: precision)
        buffer.writeStaticString("\"}")
        return buffer
    }

    static func error(_ message: String) -> ByteBuffer {
        envelope(.error) { b in
            b.writeStaticString("{\"message\":")
            b.writeJSONString(message)
            b.writeStaticString("}")
        }
    }

    static func sample(_ s: Sample, precision: TimestampPrecision) -> ByteBuffer {
        envelope(.metricsUpdate, precision: precision) { $0.writeSampleJSON(s, precision: precision) }
    }

    /// `expectedCount`: about how many samples (one buffer of the right size, not six doublings at 100).
    static func batch(_ samples: some Collection<Sample>, expectedCount: Int, precision: TimestampPrecision) -> ByteBuffer {
        envelope(.metricsUpdate, precision: precision, capacity: 256 + max(expectedCount, 1) * Self.bytesPerSample) { b in
            b.writeStaticString("{\"samples\":")
            b.writeSamplesArray(samples, precision: precision)
            b.writeStaticString("}")
        }
    }

    /// A sample's JSON is ~550–700 bytes (more with labels).
    static let bytesPerSample = 768

    static func alert(_ a: AlertRecord, precision: TimestampPrecision) -> ByteBuffer {
        envelope(.alert, precision: precision) { $0.writeAlertJSON(a, precision: precision) }
    }

    static func stringArray(_ values: [String], into b: inout ByteBuffer) {
        b.writeStaticString("[")
        for (i, v) in values.enumerated() {
            if i > 0 { b.writeStaticString(",") }
            b.writeJSONString(v)
        }
        b.writeStaticString("]")
    }
}
