/// The rule shared by the read cadence (`ReadCadence`) and history persistence (`JSONLStore`): something
/// wanted once every `period` is taken on the tick nearest to the period's end. It may come early by half the
/// gap since the previous tick, so that a period equal to the tick interval takes every tick despite
/// scheduling jitter (a tick run a few ms late followed by one on time would otherwise make the second look
/// early and be skipped), and a 1 s period at 0.1 s ticks takes one tick in ten.
public enum NearestTick {
    /// - Parameters:
    ///   - elapsed: nanoseconds since it was last taken.
    ///   - gap: nanoseconds since the previous tick (UInt64.max when there was none).
    @inline(__always)
    public static func isDue(elapsed: UInt64, period: UInt64, gap: UInt64) -> Bool {
        elapsed >= period - min(period, gap / 2)
    }
}
