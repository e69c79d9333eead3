/// The rate of a counter that is read less often than every tick (block I/O: once a second at a 0.1 s
/// interval, see `ReadCadence`). It is computed over the span between two real reads and carried unchanged on
/// the ticks in between. A carried counter's delta over one tick would be 0 nine ticks in ten and then ten
/// times the real rate on the tenth.
struct SpanRate {
    private var base: UInt64 = 0
    /// When the counter was last read (monotonic ns; 0 = never).
    private(set) var baseTime: UInt64 = 0
    private(set) var perSecond: Double = 0

    /// A real read of the counter at `now` (monotonic ns). The first read has no span: the rate stays 0
    /// (SPEC §2), as it does when the counter went backwards.
    mutating func read(_ value: UInt64, at now: UInt64) {
        if baseTime != 0, now > baseTime {
            perSecond = SampleDerivation.rate(value, base, seconds: Double(now - baseTime) / 1e9)
        }
        base = value
        baseTime = now
    }
}
