import CByteSearch
import Glibc

/// One line of a history file, read in place: the few fields a query filters on are found without parsing
/// the whole object. The files are written by us (flat objects, `"key":value`, no spaces), and a string
/// value can never contain the bytes `"key":"` unescaped, so a search for that pattern finds the key itself.
public struct HistoryLine {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The raw bytes of the string value of `key` (between the quotes, still escaped), if present.
    public func stringValue(_ pattern: FieldPattern) -> UnsafeRawBufferPointer? {
        guard let base = bytes.baseAddress, bytes.count > pattern.bytes.count else { return nil }
        let found = pattern.bytes.withUnsafeBytes { p in wd_memmem(base, bytes.count, p.baseAddress!, p.count) }
        guard let found else { return nil }
        let start = UnsafeRawPointer(found) + pattern.bytes.count
        let end = base + bytes.count
        var cursor = start
        while cursor < end {
            let byte = cursor.load(as: UInt8.self)
            if byte == UInt8(ascii: "\\") {
                cursor += 2
                continue
            }
            if byte == UInt8(ascii: "\"") { return UnsafeRawBufferPointer(start: start, count: cursor - start) }
            cursor += 1
        }
        return nil
    }

    /// True when the string value of `key` is exactly `value` (compared escaped: names need no escaping in
    /// practice, and a name that does compares unequal rather than wrongly equal).
    public func has(_ pattern: FieldPattern, equalTo value: [UInt8]) -> Bool {
        guard let found = stringValue(pattern), found.count == value.count else { return false }
        return value.withUnsafeBytes { memcmp($0.baseAddress!, found.baseAddress!, found.count) == 0 }
    }

    public func has(_ pattern: FieldPattern, prefix: [UInt8]) -> Bool {
        guard let found = stringValue(pattern), found.count >= prefix.count else { return false }
        return prefix.withUnsafeBytes { memcmp($0.baseAddress!, found.baseAddress!, $0.count) == 0 }
    }

    /// True for a record as the store writes it: one flat object, `{"<first key>":…}`, whose opening key does not
    /// come back later in the line. A line torn by a failed write and glued to the next one (`{"container_id":"a
    /// b…{"container_id":…}`) repeats its opening key, and a piece of a line lacks one end or the other.
    public var isWhole: Bool {
        guard let base = bytes.baseAddress, bytes.count >= 4, bytes[0] == UInt8(ascii: "{"), bytes[1] == UInt8(ascii: "\""),
            bytes[bytes.count - 1] == UInt8(ascii: "}")
        else { return false }
        // The opening key with its quotes and colon: `{"container_id":`.
        guard let colon = memchr(base + 2, Int32(UInt8(ascii: ":")), bytes.count - 2) else { return false }
        let keyLength = base.distance(to: UnsafeRawPointer(colon)) + 1
        return wd_memmem(base + 1, bytes.count - 1, base, keyLength) == nil
    }

    /// The `timestamp` field as nanoseconds since the epoch, nil when absent or not RFC 3339 UTC.
    public var timestampNanos: Int64? { timestamp?.nanos }

    /// The `timestamp` field and its resolution: 1 s, 1 ms … as written (the encoder truncates).
    public var timestamp: (nanos: Int64, resolution: Int64)? {
        guard let value = stringValue(.timestamp) else { return nil }
        return Self.parseRFC3339(value)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (what the encoder writes) → nanoseconds since the epoch, and the
    /// resolution of the text.
    static func parseRFC3339(_ text: UnsafeRawBufferPointer) -> (nanos: Int64, resolution: Int64)? {
        guard text.count >= 20 else { return nil }
        var ok = true
        func number(_ from: Int, _ length: Int) -> Int64 {
            var value: Int64 = 0
            for i in from..<(from + length) {
                let digit = Int64(text[i]) - 48
                if digit < 0 || digit > 9 { ok = false }
                value = value * 10 + digit
            }
            return value
        }
        let year = number(0, 4), month = number(5, 2), day = number(8, 2)
        let hour = number(11, 2), minute = number(14, 2), second = number(17, 2)
        // Every field in range, and a year whose nanoseconds fit in an Int64 (1678–2261): text from a damaged
        // file is refused, never turned into a wrong time or an overflow (found by the history fuzzer).
        guard ok, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"), text[10] == UInt8(ascii: "T"),
            text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"), (1678...2261).contains(year),
            (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year), hour < 24, minute < 60,
            second < 61
        else { return nil }
        var nanos: Int64 = 0
        var resolution: Int64 = 1_000_000_000
        var i = 19
        if text[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100_000_000
            while i < text.count, text[i] >= 48, text[i] <= 57 {
                nanos += Int64(text[i] - 48) * scale
                resolution = max(1, scale)
                scale /= 10
                i += 1
            }
        }
        guard i < text.count, text[i] == UInt8(ascii: "Z") else { return nil }
        let days = HistoryFileName.daysFromCivil(year: year, month: month, day: day)
        return (((days * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000_000) + nanos, resolution)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension HistoryLine {
    /// Every `"key":value` of the flat object, in order: the key's bytes (between its quotes: our keys have no
    /// escapes) and the value's — a string with its quotes, still escaped; a number; `null`, `true`, `false`.
    /// Stops at the first byte that does not fit that shape (a damaged line yields what came before).
    public func forEachField(_ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), close = UInt8(ascii: "}")
        let n = bytes.count
        guard n >= 2, bytes[0] == UInt8(ascii: "{") else { return }
        var i = 1
        while i < n, bytes[i] == quote {
            let keyStart = i + 1
            var j = keyStart
            while j < n, bytes[j] != quote { j += 1 }
            guard j + 1 < n, bytes[j + 1] == UInt8(ascii: ":") else { return }
            let valueStart = j + 2
            var k = valueStart
            if k < n, bytes[k] == quote {
                k += 1
                while k < n, bytes[k] != quote { k += bytes[k] == UInt8(ascii: "\\") ? 2 : 1 }
                guard k < n else { return }
                k += 1
            } else {
                while k < n, bytes[k] != comma, bytes[k] != close { k += 1 }
            }
            guard k < n, k > valueStart else { return }
            body(UnsafeRawBufferPointer(rebasing: bytes[keyStart..<j]), UnsafeRawBufferPointer(rebasing: bytes[valueStart..<k]))
            guard bytes[k] == comma else { return }
            i = k + 1
        }
    }
}

/// `"key":"` as bytes, made once.
public struct FieldPattern: Sendable {
    let bytes: [UInt8]
    public init(key: String) { bytes = Array("\"\(key)\":\"".utf8) }

    public static let timestamp = FieldPattern(key: "timestamp")
    public static let containerID = FieldPattern(key: "container_id")
    public static let containerName = FieldPattern(key: "container_name")
    public static let serviceName = FieldPattern(key: "service_name")
    public static let level = FieldPattern(key: "level")
}

/// Where lines are in a buffer of history bytes (found with memchr/memrchr). A trailing partial line (no
/// newline: a torn write) is never a line.
enum Lines {
    /// How many newlines `bytes` holds.
    static func count(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard var cursor = bytes.baseAddress else { return 0 }
        let end = cursor + bytes.count
        var count = 0
        while cursor < end, let newline = memchr(cursor, Int32(UInt8(ascii: "\n")), end - cursor) {
            count += 1
            cursor = UnsafeRawPointer(newline) + 1
        }
        return count
    }

    /// Just past the last newline (0 when there is none): the bytes before are whole lines.
    static func completeEnd(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress, let newline = wd_memrchr(base, Int32(UInt8(ascii: "\n")), bytes.count) else { return 0 }
        return base.distance(to: newline) + 1
    }

    /// The offset of the first newline, nil when there is none.
    static func firstNewline(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, let newline = memchr(base, Int32(UInt8(ascii: "\n")), bytes.count) else { return nil }
        return base.distance(to: UnsafeRawPointer(newline))
    }

    /// The first whole line, without its newline.
    static func first(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        firstNewline(bytes).map { UnsafeRawBufferPointer(rebasing: bytes[0..<$0]) }
    }

    /// The last whole line, without its newline.
    static func last(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let end = completeEnd(bytes)
        guard end > 0 else { return nil }
        let lineEnd = end - 1
        let before = UnsafeRawBufferPointer(rebasing: bytes[0..<lineEnd])
        return UnsafeRawBufferPointer(rebasing: bytes[(completeEnd(before))..<lineEnd])
    }
}
