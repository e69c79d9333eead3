import NIOCore

/// Writes JSON tokens at a cursor into memory reserved beforehand: one capacity check per document instead of
/// one per byte, which is what made a sample line cost ~5 µs through ByteBuffer's per-write bookkeeping.
///
/// The caller reserves an upper bound of what it writes (`JSONCursor.maxDecimalBytes`, `maxDoubleBytes`,
/// `maxStringBytes`, …) with `ByteBuffer.writeJSON(bound:)`; the raw buffer's subscript checks each write in
/// debug builds, so a wrong bound fails the unit tests rather than a release daemon.
public struct JSONCursor: ~Copyable {
    private let memory: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0

    /// Longest decimal a UInt64 or Int64 takes ("-9223372036854775808", "18446744073709551615").
    public static let maxDecimalBytes = 20
    /// Longest `double(_:decimals:)` with at most 3 decimals: a sign, 15 digits, a point and 3 digits — or
    /// Swift's shortest form of a huge value ("-1.7976931348623157e+308").
    public static let maxDoubleBytes = 25
    /// Longest RFC 3339 timestamp, with its quotes: "\"2262-04-11T23:47:16.854Z\"".
    public static let maxTimestampBytes = 26

    /// Longest escaped form of `string`, with its quotes: every byte may become `\u00XX`.
    @inline(__always)
    public static func maxStringBytes(_ string: String) -> Int { string.utf8.count * 6 + 2 }
    public static func maxStringBytes(_ string: String?) -> Int { string.map(maxStringBytes) ?? 4 }

    init(_ memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory
    }

    @inline(__always)
    public mutating func byte(_ b: UInt8) {
        memory[count] = b
        count += 1
    }

    @inline(__always)
    public mutating func raw(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        UnsafeMutableRawBufferPointer(rebasing: memory[count..<count + n]).copyMemory(
            from: UnsafeRawBufferPointer(start: s.utf8Start, count: n))
        count += n
    }

    private mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        UnsafeMutableRawBufferPointer(rebasing: memory[count..<count + bytes.count]).copyMemory(from: bytes)
        count += bytes.count
    }

    /// `"key":` for a key that needs no escaping.
    @inline(__always)
    public mutating func key(_ key: StaticString) {
        byte(UInt8(ascii: "\""))
        raw(key)
        byte(UInt8(ascii: "\""))
        byte(UInt8(ascii: ":"))
    }

    /// `,"key":`: every member after an object's first.
    @inline(__always)
    public mutating func nextKey(_ key: StaticString) {
        byte(UInt8(ascii: ","))
        self.key(key)
    }

    /// A JSON string literal, escaped: runs that need no escape are copied whole.
    public mutating func string(_ string: String) {
        byte(UInt8(ascii: "\""))
        var s = string
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<i]))
                escaped(b)
                runStart = i + 1
            }
            raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<utf8.count]))
        }
        byte(UInt8(ascii: "\""))
    }

    public mutating func stringOrNull(_ string: String?) {
        if let string { self.string(string) } else { raw("null") }
    }

    private mutating func escaped(_ b: UInt8) {
        byte(UInt8(ascii: "\\"))
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(b)
        case UInt8(ascii: "\n"): byte(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): byte(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): byte(UInt8(ascii: "t"))
        default:
            raw("u00")
            byte(Self.hexDigit(b >> 4))
            byte(Self.hexDigit(b & 0xF))
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? nibble + 48 : nibble + 87 }

    /// An unsigned integer in decimal: digits are produced backwards into their final place.
    public mutating func decimal(_ value: UInt64) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        padded(value, width: digits)
    }

    public mutating func decimal(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        decimal(value.magnitude)
    }

    /// `value` zero-padded to `width` digits (a timestamp's fields; `decimal` with its exact width).
    @inline(__always)
    mutating func padded(_ value: UInt64, width: Int) {
        var v = value
        var i = count + width
        while i > count {
            i -= 1
            memory[i] = UInt8(truncatingIfNeeded: v % 10) + 48
            v /= 10
        }
        count += width
    }

    /// A number with at most `decimals` (≤ 3) fractional digits, trailing zeros trimmed and at least one
    /// kept (25.5, 50.0). Non-finite values are written as 0, since JSON has no NaN.
    public mutating func double(_ value: Double, decimals: Int) {
        guard value.isFinite else {
            byte(UInt8(ascii: "0"))
            return
        }
        var v = value
        if v < 0 {
            byte(UInt8(ascii: "-"))
            v = -v
        }
        let places = min(max(decimals, 0), 3)
        let scale: UInt64 = places == 0 ? 1 : places == 1 ? 10 : places == 2 ? 100 : 1000
        guard v < 1e15 else {
            // Beyond what fixed decimals carry exactly. Up to UInt64's range the value is a whole number
            // already; past it (nonsense for any counter) Swift's shortest form "1.2e+29" is valid JSON, and
            // its one allocation does not matter.
            if v < 18_446_744_073_709_551_616.0 {
                decimal(UInt64(v))
                raw(".0")
            } else {
                var text = v.description
                text.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
            }
            return
        }
        let scaled = UInt64(saturating: (v * Double(scale)).rounded())
        decimal(scaled / scale)
        byte(UInt8(ascii: "."))
        var fraction = scaled % scale
        guard fraction != 0 else {
            byte(UInt8(ascii: "0"))
            return
        }
        var width = places
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        padded(fraction, width: width)
    }

    /// `"2025-01-16T10:30:00.250Z"` with its quotes.
    public mutating func timestamp(nanos: Int64, precision: TimestampPrecision) {
        byte(UInt8(ascii: "\""))
        rfc3339(nanos: nanos, precision: precision)
        byte(UInt8(ascii: "\""))
    }
}

extension ByteBuffer {
    /// Runs `body` on a cursor over at least `bound` writable bytes and keeps what it wrote.
    @inline(__always)
    public mutating func writeJSON(bound: Int, _ body: (inout JSONCursor) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { memory in
            // Exactly the bound, not the whole writable tail: a wrong bound fails debug builds at once.
            var cursor = JSONCursor(UnsafeMutableRawBufferPointer(rebasing: memory[..<bound]))
            body(&cursor)
            return cursor.count
        }
    }
}
