import NIOCore

/// JSON primitives for documents that are not on a hot path (errors, acks, summaries): each reserves its own
/// bound and writes through `JSONCursor`, so there is one implementation of every token. Hot documents
/// (samples, alert lines) reserve their whole bound once and write through a cursor directly.
extension ByteBuffer {
    /// A JSON string literal, escaped.
    public mutating func writeJSONString(_ string: String) {
        writeJSON(bound: JSONCursor.maxStringBytes(string)) { $0.string(string) }
    }

    public mutating func writeJSONStringOrNull(_ string: String?) {
        writeJSON(bound: JSONCursor.maxStringBytes(string)) { $0.stringOrNull(string) }
    }

    /// An unsigned integer in decimal.
    public mutating func writeDecimal(_ value: UInt64) {
        writeJSON(bound: JSONCursor.maxDecimalBytes) { $0.decimal(value) }
    }

    public mutating func writeDecimal(_ value: Int64) {
        writeJSON(bound: JSONCursor.maxDecimalBytes) { $0.decimal(value) }
    }

    /// A number with at most `decimals` (≤ 3) fractional digits (trailing zeros trimmed, at least one kept:
    /// 25.5, 50.0). Non-finite values are written as 0, since JSON has no NaN.
    public mutating func writeJSONDouble(_ value: Double, decimals: Int = 3) {
        writeJSON(bound: JSONCursor.maxDoubleBytes) { $0.double(value, decimals: decimals) }
    }

    /// `"key":` for a key that needs no escaping.
    @inline(__always)
    public mutating func writeJSONKey(_ key: StaticString) {
        writeJSON(bound: key.utf8CodeUnitCount + 3) { $0.key(key) }
    }
}
