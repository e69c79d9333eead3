import NIOCore

/// RFC 3339 UTC timestamps ("2025-01-16T10:30:00Z", or with milliseconds "2025-01-16T10:30:00.250Z"),
/// written from epoch nanoseconds without Foundation and without allocating.
public enum TimestampPrecision: Sendable {
    case seconds
    case milliseconds
}

extension ByteBuffer {
    public mutating func writeRFC3339(nanos: Int64, precision: TimestampPrecision) {
        let seconds = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        let subNanos = nanos - seconds * 1_000_000_000
        let (year, month, day) = Self.civilDate(daysSinceEpoch: seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secondOfDay = ((seconds % 86400) + 86400) % 86400
        writePadded(UInt64(year), width: 4)
        writeInteger(UInt8(ascii: "-"))
        writePadded(UInt64(month), width: 2)
        writeInteger(UInt8(ascii: "-"))
        writePadded(UInt64(day), width: 2)
        writeInteger(UInt8(ascii: "T"))
        writePadded(UInt64(secondOfDay / 3600), width: 2)
        writeInteger(UInt8(ascii: ":"))
        writePadded(UInt64(secondOfDay / 60 % 60), width: 2)
        writeInteger(UInt8(ascii: ":"))
        writePadded(UInt64(secondOfDay % 60), width: 2)
        if precision == .milliseconds {
            writeInteger(UInt8(ascii: "."))
            writePadded(UInt64(subNanos / 1_000_000), width: 3)
        }
        writeInteger(UInt8(ascii: "Z"))
    }

    private mutating func writePadded(_ value: UInt64, width: Int) {
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            writeInteger(UInt8(truncatingIfNeeded: (value / divisor) % 10) + 48)
            divisor /= 10
        }
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
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
}
