/// Conversions from floating point that never trap.
///
/// `Int64(someDouble)` kills the process when the value is NaN, infinite or out of range — and such values
/// reach us from request bodies (`1e308`), settings and arithmetic on kernel counters. Every conversion from a
/// `Double` to an integer or a `Duration` in this code goes through these instead: rounded toward zero,
/// clamped to the target's range, NaN as 0.
extension FixedWidthInteger {
    @inlinable
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value <= Double(Self.min) {
            self = .min
        } else if value >= Double(Self.max) {
            // Double(Int64.max) rounds up to 2^63, so `>=` also catches the values that would overflow.
            self = .max
        } else {
            self.init(value)
        }
    }
}

extension Duration {
    /// `seconds` as a duration, clamped to what an `Int64` of nanoseconds holds (±292 years); NaN is zero.
    @inlinable
    public static func seconds(saturating seconds: Double) -> Duration {
        .nanoseconds(Int64(saturating: (seconds * 1e9).rounded()))
    }

    /// The duration in whole nanoseconds, clamped to `Int64` (a Duration can hold more).
    @inlinable
    public var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (what JSON and the settings show).
    @inlinable
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Seconds as a person writes them: `60` for a whole number, `0.1`, `0.25` otherwise (at most nanoseconds).
    public var secondsText: String {
        let nanos = saturatingNanoseconds
        if nanos % 1_000_000_000 == 0 { return String(nanos / 1_000_000_000) }
        return String(Double(nanos) / 1e9)
    }
}
