// libFuzzer target for the history-line reader (Sources/MonitorStore/HistoryLine.swift): the code that finds
// lines in a buffer read from a history file (Lines.*), tells a whole record from a torn one (isWhole), finds
// the fields a query filters on (stringValue / has(_:equalTo:) / has(_:prefix:)) and reads the timestamp
// (parseRFC3339); and HistoryFileName(_:) on directory entries. It is
// compiled together with HistoryLine.swift and HistoryFileName.swift (plus HistoryStubs.swift) into one
// module, so the harness sees their internal API; see Tests/fuzz/README.md.
//
// The input is one buffer of history bytes, as HistoryCursor hands a chunk to StoredRecords: any bytes, a
// torn last line, lines that are not JSON. Each result is checked against an independent reading:
//  - every range returned lies inside the input, and lines never contain a newline;
//  - walking the buffer backwards with Lines.last/completeEnd (as StoredRecords does) finds exactly the lines
//    that a forward split finds, in reverse, and ignores a trailing partial line;
//  - Lines.count counts the newlines;
//  - stringValue finds the first `"key":"` and stops at the first unescaped quote; has(...) agrees with it;
//  - isWhole follows its documented rule, and a line torn inside one record and glued to the next either fails
//    isWhole or yields only the next record's fields;
//  - parseRFC3339 returns nil or the exact time its text spells, and nil whenever the text is not a valid
//    `YYYY-MM-DDTHH:MM:SS[.fraction]Z` or the time does not fit in Int64 nanoseconds; it never traps.
// A failed property prints what failed and traps, which libFuzzer reports as a crash with the input saved.

import CByteSearch
import Glibc

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let lines = checkLines(bytes)
    for line in lines.prefix(256) { checkFields(line) }
    for (first, second) in zip(lines, lines.dropFirst()).prefix(8) { checkGlued(first, second, seed: size) }
    // The whole input as a timestamp's text too, so the fuzzer can reach parseRFC3339 without JSON framing.
    checkTimestamp(bytes)
    checkFileName(bytes)
    return 0
}

// MARK: - properties

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition() {
        fputs("\nfuzz property failed at \(file):\(line): \(message())\n", stderr)
        fflush(stderr)
        abort()
    }
}

/// Offsets of a sub-buffer within `outer` (which must contain it).
func span(_ inner: UnsafeRawBufferPointer, in outer: UnsafeRawBufferPointer) -> Range<Int> {
    guard let o = outer.baseAddress else { return 0..<0 }
    guard let i = inner.baseAddress else {
        require(inner.isEmpty, "a non-empty range without an address")
        return 0..<0
    }
    let start = o.distance(to: i)
    require(start >= 0 && start + inner.count <= outer.count, "range \(start)..<\(start + inner.count) lies outside the input of \(outer.count) bytes")
    return start..<(start + inner.count)
}

/// Lines.*: against a plain forward split of the input. Returns the whole lines.
func checkLines(_ bytes: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
    let newlines = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }
    var expected: [Range<Int>] = []
    var start = 0
    for n in newlines {
        expected.append(start..<n)
        start = n + 1
    }

    let completeEnd = Lines.completeEnd(bytes)
    require(completeEnd == (newlines.last.map { $0 + 1 } ?? 0), "completeEnd \(completeEnd), last newline \(String(describing: newlines.last))")
    require(Lines.firstNewline(bytes) == newlines.first, "firstNewline \(String(describing: Lines.firstNewline(bytes))), want \(String(describing: newlines.first))")
    if let first = Lines.first(bytes) {
        require(span(first, in: bytes) == expected.first, "Lines.first gives \(span(first, in: bytes)), want \(String(describing: expected.first))")
    } else {
        require(expected.isEmpty, "Lines.first is nil, yet the input has a newline")
    }

    // Backwards, as StoredRecords walks a chunk: the last whole line, then the bytes before it.
    var found: [Range<Int>] = []
    var end = bytes.count
    while let last = Lines.last(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) {
        let r = span(last, in: bytes)
        require(found.count < expected.count, "Lines.last found more lines than there are newlines")
        found.append(r)
        require(r.upperBound < end && bytes[r.upperBound] == UInt8(ascii: "\n"), "Lines.last \(r) does not end at a newline")
        end = r.lowerBound
    }
    require(Lines.count(bytes) == newlines.count, "Lines.count is \(Lines.count(bytes)), the input has \(newlines.count) newlines")
    require(Array(found.reversed()) == expected, "walking back found \(found.count) lines, want \(expected.count) (first difference near \(zip(found.reversed(), expected).first { $0 != $1 }.map { "\($0)" } ?? "the end"))")
    return expected.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
}

/// The value of `"key":"` as a reference reading: after the first occurrence, up to the first quote that is
/// not escaped (a backslash escapes the next byte). nil when there is no closing quote.
func referenceValue(_ line: UnsafeRawBufferPointer, _ pattern: [UInt8]) -> Range<Int>? {
    guard line.count > pattern.count else { return nil }
    var at: Int?
    for i in 0...(line.count - pattern.count) where line[i] == pattern[0] {
        if (0..<pattern.count).allSatisfy({ line[i + $0] == pattern[$0] }) {
            at = i
            break
        }
    }
    guard let at else { return nil }
    var i = at + pattern.count
    while i < line.count {
        if line[i] == UInt8(ascii: "\\") {
            i += 2
            continue
        }
        if line[i] == UInt8(ascii: "\"") { return (at + pattern.count)..<i }
        i += 1
    }
    return nil
}

let patterns: [(String, FieldPattern)] = ["timestamp", "container_id", "container_name", "service_name", "level", ""].map { key in
    let pattern: FieldPattern
    switch key {
    case "timestamp": pattern = .timestamp
    case "container_id": pattern = .containerID
    case "container_name": pattern = .containerName
    case "service_name": pattern = .serviceName
    case "level": pattern = .level
    default: pattern = FieldPattern(key: key)
    }
    return (key, pattern)
}

func checkFields(_ bytes: UnsafeRawBufferPointer) {
    let line = HistoryLine(bytes)
    for (key, pattern) in patterns {
        let value = line.stringValue(pattern)
        let want = referenceValue(bytes, pattern.bytes)
        let got = value.map { span($0, in: bytes) }
        require(got == want, "stringValue(\"\(key)\") gives \(String(describing: got)), want \(String(describing: want))")
        guard let value, let got else {
            require(!line.has(pattern, equalTo: []) && !line.has(pattern, prefix: []), "has(\"\(key)\") is true without a value")
            continue
        }
        require(got.upperBound < bytes.count && bytes[got.upperBound] == UInt8(ascii: "\""), "stringValue(\"\(key)\") does not end before a quote")
        let array = Array(value)
        require(line.has(pattern, equalTo: array), "has(\"\(key)\", equalTo: its own value) is false")
        require(!line.has(pattern, equalTo: array + [UInt8(ascii: "x")]), "has(\"\(key)\", equalTo: value + x) is true")
        if !array.isEmpty {
            var other = array
            other[other.count - 1] ^= 1
            require(!line.has(pattern, equalTo: other), "has(\"\(key)\", equalTo:) ignores the last byte")
            require(!line.has(pattern, prefix: other), "has(\"\(key)\", prefix:) ignores the last byte")
        }
        for k in [0, 1, 3, array.count / 2, array.count] where k <= array.count {
            require(line.has(pattern, prefix: Array(array.prefix(k))), "has(\"\(key)\", prefix: its first \(k) bytes) is false")
        }
        require(!line.has(pattern, prefix: array + [0]), "has(\"\(key)\", prefix:) longer than the value is true")
    }
    require(line.isWhole == referenceIsWhole(bytes), "isWhole is \(line.isWhole), want \(!line.isWhole)")
    // The line's own timestamp, as queries read it.
    let stamp = line.timestamp
    let direct = line.stringValue(.timestamp).flatMap { HistoryLine.parseRFC3339($0) }
    require(stamp?.nanos == direct?.nanos && stamp?.resolution == direct?.resolution, "timestamp differs from parseRFC3339(stringValue(.timestamp))")
    require(line.timestampNanos == stamp?.nanos, "timestampNanos differs from timestamp")
    if let value = line.stringValue(.timestamp) { checkTimestamp(value) }
}

// MARK: - whole lines

/// `{"key":` of a line: up to the first colon after the opening `{"`, nil when there is none.
func openingKey(_ line: UnsafeRawBufferPointer) -> Range<Int>? {
    guard line.count >= 3, let colon = line[2...].firstIndex(of: UInt8(ascii: ":")) else { return nil }
    return 0..<(colon + 1)
}

/// HistoryLine.isWhole against its documented rule, read independently: `{"…}` whose opening key (with `{`,
/// quotes and colon) does not occur again after the first byte.
func referenceIsWhole(_ line: UnsafeRawBufferPointer) -> Bool {
    guard line.count >= 4, line[0] == UInt8(ascii: "{"), line[1] == UInt8(ascii: "\""), line[line.count - 1] == UInt8(ascii: "}"),
        let key = openingKey(line)
    else { return false }
    let needle = Array(line[key])
    guard line.count - 1 >= needle.count else { return true }
    for i in 1...(line.count - needle.count) where line[i] == needle[0] {
        if (0..<needle.count).allSatisfy({ line[i + $0] == needle[$0] }) { return false }
    }
    return true
}

/// A write torn inside `first` and followed by `second` on the same line (what a crash mid-write leaves when
/// the next start appends without repairing): StoredRecords reads it only if isWhole says so, and then every
/// field it filters on must be `second`'s, never a mix of the two records.
func checkGlued(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, seed: Int) {
    guard HistoryLine(first).isWhole, HistoryLine(second).isWhole, let k1 = openingKey(first), let k2 = openingKey(second),
        first[k1].elementsEqual(second[k2])
    else { return }
    var cuts = Set([1, 2, k1.upperBound - 1, k1.upperBound, k1.upperBound + 1, first.count / 2, first.count - 1, 1 + seed % first.count])
    cuts = cuts.filter { $0 >= 1 && $0 < first.count }
    for cut in cuts.sorted() {
        let glued = Array(first[0..<cut]) + Array(second)
        glued.withUnsafeBytes { raw in
            let line = HistoryLine(raw)
            guard line.isWhole else { return }
            for (key, pattern) in patterns where !key.isEmpty {
                let a = line.stringValue(pattern).map(Array.init)
                let b = HistoryLine(second).stringValue(pattern).map(Array.init)
                require(a == b, "a line torn after \(cut) bytes and glued to the next passes isWhole, and its \"\(key)\" is not the next line's")
            }
        }
    }
}

// MARK: - RFC 3339

/// What `text` spells, read independently of HistoryLine: .invalid when it is not
/// `YYYY-MM-DDTHH:MM:SS[.d+]Z` with the fields in range; .tolerated for forms a reader may take either way
/// (a leap second, a bare ".", bytes after the "Z", a time that fits in the edge years 1677 and 2262); else the
/// nanoseconds (nil when they do not fit in Int64).
enum Spelled {
    case invalid
    case tolerated(nanos: Int64?, resolution: Int64)
    case valid(nanos: Int64?, resolution: Int64)
}

func spelled(_ text: UnsafeRawBufferPointer) -> Spelled {
    guard text.count >= 20 else { return .invalid }
    func digits(_ from: Int, _ count: Int) -> Int64? {
        var v: Int64 = 0
        for i in from..<(from + count) {
            guard text[i] >= 48, text[i] <= 57 else { return nil }
            v = v * 10 + Int64(text[i] - 48)
        }
        return v
    }
    guard let year = digits(0, 4), text[4] == UInt8(ascii: "-"), let month = digits(5, 2), text[7] == UInt8(ascii: "-"),
        let day = digits(8, 2), text[10] == UInt8(ascii: "T"), let hour = digits(11, 2), text[13] == UInt8(ascii: ":"),
        let minute = digits(14, 2), text[16] == UInt8(ascii: ":"), let second = digits(17, 2)
    else { return .invalid }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard (1...12).contains(month), (1...monthDays[Int(month - 1)]).contains(day), hour < 24, minute < 60, second <= 60 else {
        return .invalid
    }
    var tolerated = second == 60
    var i = 19
    var fraction: Int64 = 0
    var fractionDigits = 0
    if text[i] == UInt8(ascii: ".") {
        i += 1
        while i < text.count, text[i] >= 48, text[i] <= 57 {
            if fractionDigits < 9 { fraction = fraction * 10 + Int64(text[i] - 48) }
            fractionDigits += 1
            i += 1
        }
        if fractionDigits == 0 { tolerated = true }
    }
    guard i < text.count, text[i] == UInt8(ascii: "Z") else { return .invalid }
    if i + 1 != text.count { tolerated = true }
    // The first nine fraction digits count; the resolution is the last one's place.
    var resolution: Int64 = 1_000_000_000
    for _ in 0..<min(fractionDigits, 9) { resolution /= 10 }
    let subNanos = fraction * resolution

    // Days since 1970-01-01 by counting leap days (not the days-from-civil formula HistoryLine uses).
    func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    func leapsBefore(_ y: Int64) -> Int64 { floorDiv(y - 1, 4) - floorDiv(y - 1, 100) + floorDiv(y - 1, 400) }
    let cumulative: [Int64] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    let days = 365 * (year - 1970) + (leapsBefore(year) - leapsBefore(1970)) + cumulative[Int(month - 1)] + (month > 2 && leap ? 1 : 0) + day - 1
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    // seconds * 10^9 + subNanos, nil when it does not fit (computed so that Int64.min itself fits).
    let result: Int64?
    if seconds >= 0 {
        let (scaled, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = scaled.addingReportingOverflow(subNanos)
        result = o1 || o2 ? nil : sum
    } else {
        let (scaled, o1) = (seconds + 1).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = scaled.addingReportingOverflow(subNanos - 1_000_000_000)
        result = o1 || o2 ? nil : sum
    }
    // Int64 nanoseconds span 1677-09-21 to 2262-04-11: inside 1678...2261 every time must parse; in the two
    // edge years a reader may refuse times that would fit; outside them nothing fits.
    if !(1678...2261).contains(year), result != nil { tolerated = true }
    return tolerated ? .tolerated(nanos: result, resolution: resolution) : .valid(nanos: result, resolution: resolution)
}

func checkTimestamp(_ text: UnsafeRawBufferPointer) {
    let parsed = HistoryLine.parseRFC3339(text)  // must not trap, whatever the bytes
    let shown = String(decoding: text.prefix(48), as: UTF8.self).debugDescription
    switch spelled(text) {
    case .invalid:
        require(parsed == nil, "parseRFC3339(\(shown)) = \(parsed!), but the text is not a valid RFC 3339 UTC time")
    case .valid(let nanos, let resolution):
        if let nanos {
            require(parsed?.nanos == nanos && parsed?.resolution == resolution,
                "parseRFC3339(\(shown)) = \(String(describing: parsed)), want (\(nanos), \(resolution))")
        } else {
            require(parsed == nil, "parseRFC3339(\(shown)) = \(parsed!), but that time does not fit in Int64 nanoseconds")
        }
    case .tolerated(let nanos, let resolution):
        if let parsed {
            require(nanos != nil && parsed.nanos == nanos! && parsed.resolution == resolution,
                "parseRFC3339(\(shown)) = \(parsed), want nil or (\(String(describing: nanos)), \(resolution))")
        }
    }
}

// MARK: - file names

/// HistoryFileName(_:) on a directory entry's name: nil or a name of a known prefix, a real date, a part > 0.
func checkFileName(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count <= 255, !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")) else { return }  // not a file name
    let name = String(decoding: bytes, as: UTF8.self)
    guard let parsed = HistoryFileName(name) else { return }
    require(HistoryFileName.prefixes.contains(parsed.prefix) && name.hasPrefix(parsed.prefix + "_"), "HistoryFileName(\(name.debugDescription)) has prefix \(parsed.prefix)")
    require(parsed.part.map { $0 > 0 } ?? true, "HistoryFileName(\(name.debugDescription)) has part \(String(describing: parsed.part))")
    let suffix: String
    switch parsed.kind {
    case .plain: suffix = ".jsonl"
    case .gzip: suffix = ".jsonl.gz"
    case .gzipIndex: suffix = ".jsonl.gz.idx"
    }
    require(name.hasSuffix(suffix), "HistoryFileName(\(name.debugDescription)) is a \(parsed.kind) file")
}
