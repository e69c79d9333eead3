import NIOCore

/// Hand-written JSON primitives that write straight into a ByteBuffer: no intermediate String, no
/// allocation beyond the buffer's own growth. Used for every hot-path document (samples, frames, lines).
extension ByteBuffer {
    @inline(__always)
    mutating func writeASCII(_ byte: UInt8) { writeInteger(byte) }

    /// A JSON string literal, escaped.
    public mutating func writeJSONString(_ string: String) {
        writeASCII(UInt8(ascii: "\""))
        var s = string
        s.withUTF8 { utf8 in
            var runStart = 0
            for (i, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<i]))
                writeEscaped(byte)
                runStart = i + 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<utf8.count]))
        }
        writeASCII(UInt8(ascii: "\""))
    }

    private mutating func writeEscaped(_ byte: UInt8) {
        writeASCII(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): writeASCII(byte)
        case UInt8(ascii: "\n"): writeASCII(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): writeASCII(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): writeASCII(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            writeASCII(UInt8(ascii: "u"))
            writeASCII(UInt8(ascii: "0"))
            writeASCII(UInt8(ascii: "0"))
            writeASCII(hex.utf8Start[Int(byte >> 4)])
            writeASCII(hex.utf8Start[Int(byte & 0xF)])
        }
    }

    public mutating func writeJSONStringOrNull(_ string: String?) {
        if let string { writeJSONString(string) } else { writeStaticString("null") }
    }

    /// An unsigned integer in decimal.
    public mutating func writeDecimal(_ value: UInt64) {
        if value < 10 {
            writeASCII(UInt8(truncatingIfNeeded: value) + 48)
            return
        }
        // At most 20 digits; written backwards into a stack tuple, then copied once.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            var v = value
            while v > 0 {
                count += 1
                raw[24 - count] = UInt8(truncatingIfNeeded: v % 10) + 48
                v /= 10
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }

    public mutating func writeDecimal(_ value: Int64) {
        if value < 0 {
            writeASCII(UInt8(ascii: "-"))
            writeDecimal(value.magnitude)
        } else {
            writeDecimal(UInt64(value))
        }
    }

    /// A number with at most `decimals` fractional digits (trailing zeros trimmed, at least one kept:
    /// 25.5, 50.0). Non-finite values are written as 0, since JSON has no NaN.
    public mutating func writeJSONDouble(_ value: Double, decimals: Int = 3) {
        guard value.isFinite else {
            writeASCII(UInt8(ascii: "0"))
            return
        }
        var v = value
        if v < 0 {
            writeASCII(UInt8(ascii: "-"))
            v = -v
        }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        guard v < 1e15 else {
            // Beyond what fixed decimals can carry exactly: Swift's shortest round-trip form ("1.2e+29") is
            // valid JSON. Rare, so its allocation does not matter.
            writeString(v.description)
            return
        }
        let scaled = UInt64(saturating: (v * Double(scale)).rounded())
        let whole = scaled / scale
        var fraction = scaled % scale
        writeDecimal(whole)
        writeASCII(UInt8(ascii: "."))
        if fraction == 0 {
            writeASCII(UInt8(ascii: "0"))
            return
        }
        var width = decimals
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        var divisor: UInt64 = 1
        for _ in 1..<max(width, 1) { divisor *= 10 }
        while divisor > 0 {
            writeASCII(UInt8(truncatingIfNeeded: (fraction / divisor) % 10) + 48)
            divisor /= 10
        }
    }

    /// `"key":` for a key that needs no escaping.
    @inline(__always)
    public mutating func writeJSONKey(_ key: StaticString) {
        writeASCII(UInt8(ascii: "\""))
        writeStaticString(key)
        writeStaticString("\":")
    }
}
