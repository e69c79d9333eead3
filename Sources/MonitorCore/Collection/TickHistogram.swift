/// Tick durations in logarithmic buckets (two per power of two: ≤ 41 % error), for mean/p99 reporting
/// without keeping every duration. Fixed storage: recording allocates nothing.
public struct TickHistogram: Sendable {
    private var counts = ContiguousArray<UInt64>(repeating: 0, count: 128)
    public private(set) var total: UInt64 = 0

    public init() {}

    static func bucket(_ nanos: UInt64) -> Int {
        guard nanos > 1 else { return 0 }
        let log2 = 63 - nanos.leadingZeroBitCount
        let upperHalf = log2 > 0 && (nanos >> (log2 - 1)) & 1 == 1
        return min(log2 * 2 + (upperHalf ? 1 : 0), 127)
    }

    /// The upper bound of a bucket, in nanoseconds.
    static func upperBound(_ bucket: Int) -> UInt64 {
        let log2 = bucket / 2
        let base = UInt64(1) << log2
        return bucket % 2 == 0 ? base + base / 2 : base.multipliedReportingOverflow(by: 2).overflow ? .max : base * 2
    }

    public mutating func record(_ nanos: UInt64) {
        counts[Self.bucket(nanos)] &+= 1
        total &+= 1
    }

    /// The duration below which `fraction` of the ticks fell (bucket upper bound), 0 with no ticks.
    public func quantile(_ fraction: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let target = UInt64(saturating: (Double(total) * fraction).rounded(.up))
        var seen: UInt64 = 0
        for (i, count) in counts.enumerated() {
            seen += count
            if seen >= target { return Self.upperBound(i) }
        }
        return Self.upperBound(127)
    }
}
