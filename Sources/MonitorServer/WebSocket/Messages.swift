import MonitorCore
import MonitorEncoding
import NIOCore

/// The server's WebSocket messages: `{"type": T, "data": {…}, "timestamp": "<RFC 3339>"}` with the
/// original's message types.
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
    static func envelope(_ type: MessageType, precision: TimestampPrecision = .milliseconds, data: (inout ByteBuffer) -> Void) -> String {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1024)
        buffer.writeStaticString("{\"type\":")
        buffer.writeJSONString(type.rawValue)
        buffer.writeStaticString(",\"data\":")
        data(&buffer)
        buffer.writeStaticString(",\"timestamp\":\"")
        buffer.writeRFC3339(nanos: Clocks.wallNanos(), precision: precision)
        buffer.writeStaticString("\"}")
        return String(buffer: buffer)
    }

    static func error(_ message: String) -> String {
        envelope(.error) { b in
            b.writeStaticString("{\"message\":")
            b.writeJSONString(message)
            b.writeStaticString("}")
        }
    }

    static func sample(_ s: Sample, precision: TimestampPrecision) -> String {
        envelope(.metricsUpdate, precision: precision) { $0.writeSampleJSON(s, precision: precision) }
    }

    static func batch(_ samples: [Sample], precision: TimestampPrecision) -> String {
        envelope(.metricsUpdate, precision: precision) { b in
            b.writeStaticString("{\"samples\":")
            b.writeSamplesArray(samples, precision: precision)
            b.writeStaticString("}")
        }
    }

    static func alert(_ a: AlertRecord, precision: TimestampPrecision) -> String {
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
