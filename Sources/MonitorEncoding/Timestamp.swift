import NIOCore

/// RFC 3339 UTC timestamps ("2025-01-16T10:30:00Z", or with milliseconds "2025-01-16T10:30:00.250Z"),
/// written from epoch nanoseconds without Foundation and without allocating.
public enum TimestampPrecision: Sendable {
    case seconds
    case milliseconds
}

extension JSONCursor {
    /// The timestamp without quotes. Any Int64 is a year between 1677 and 2262: four digits.
    public mutating func rfc3339(nanos: Int64, precision: TimestampPrecision) {
        // Floor divisions written so that no Int64, Int64.min included, can overflow.
        var seconds = nanos / 1_000_000_000
        var subNanos = nanos % 1_000_000_000
        if subNanos < 0 {
            seconds -= 1
            subNanos += 1_000_000_000
        }
        var days = seconds / 86400
        var secondOfDay = seconds % 86400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86400
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        padded(UInt64(year), width: 4)
        byte(UInt8(ascii: "-"))
        padded(UInt64(month), width: 2)
        byte(UInt8(ascii: "-"))
        padded(UInt64(day), width: 2)
        byte(UInt8(ascii: "T"))
        padded(UInt64(secondOfDay / 3600), width: 2)
        byte(UInt8(ascii: ":"))
        padded(UInt64(secondOfDay / 60 % 60), width: 2)
        byte(UInt8(ascii: ":"))
        padded(UInt64(secondOfDay % 60), width: 2)
        if precision == .milliseconds {
            byte(UInt8(ascii: "."))
            padded(UInt64(subNanos / 1_000_000), width: 3)
        }
        byte(UInt8(ascii: "Z"))
    }
}

extension ByteBuffer {
    public mutating func writeRFC3339(nanos: Int64, precision: TimestampPrecision) {
        writeJSON(bound: JSONCursor.maxTimestampBytes) { $0.rfc3339(nanos: nanos, precision: precision) }
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = daysSinceEpoch + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
