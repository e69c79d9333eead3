import Glibc
import MonitorEncoding
import NIOCore

/// Five-minute steps of every container, folded from the very lines the store writes and written beside them
/// (`rollup300_YYYY-MM-DD.jsonl`, one record per container per step, as a `step=300` answer writes it): a week
/// at `step=300` then reads 2,016 records a container instead of 604,800 lines.
///
/// Steps are written in time order: a container's step is written when its first line of a later step
/// arrives, and a container gone quiet has its step written as soon as another's lines reach a later step.
/// So after each fold every open step starts at the same time, the writer's `foldedBefore`: every line before
/// it is in a written step, no line after it is (what `RollupState` keeps on disk). At shutdown every open step
/// is written; a step cut by a restart is then in two parts, which a query folds together by their `samples`.
/// A wall clock stepped back across a step closes the later step early and opens the earlier one again: the fold
/// reports it, and the store starts its rolled-up steps anew after the latest step seen (those before may now
/// be written twice).
public struct RollupWriter {
    public static let prefix = "rollup300"
    public static let stepNanos: Int64 = 300_000_000_000

    private var open: [String: StepAccumulator] = [:]
    /// The oldest and newest lines folded so far (their times), and the latest step start.
    private(set) var oldestLineNanos = Int64.max
    private(set) var newestLineNanos = Int64.min
    private(set) var latestStepStart = Int64.min
    /// The line being folded, its storage reused from one line to the next.
    private var scratch = StepAccumulator.Line()

    struct Folded {
        /// Every line folded so far that is older than this is in a step written out; nil when nothing is open.
        var foldedBefore: Int64?
        /// Set when a line went back to an earlier step than one already seen: the latest step start before it.
        var steppedBackFrom: Int64?
    }

    /// Folds `lines` (whole JSONL lines, as just encoded, oldest first) and appends the steps they closed to
    /// `out` (by the day of each step's start: the records and their count).
    mutating func fold(_ lines: ByteBuffer, precision: TimestampPrecision, into out: inout [Int64: (ByteBuffer, Int)]) -> Folded {
        var latestStart = Int64.min
        var steppedBackFrom: Int64?
        lines.withUnsafeReadableBytes { bytes in
            guard var cursor = bytes.baseAddress else { return }
            let end = cursor + bytes.count
            while cursor < end {
                let newline = memchr(cursor, Int32(UInt8(ascii: "\n")), end - cursor).map { UnsafeRawPointer($0) } ?? end
                let line = HistoryLine(UnsafeRawBufferPointer(start: cursor, count: newline - cursor))
                if let nanos = line.timestampNanos {
                    scratch.read(line)
                    if let id = scratch.containerID {
                        oldestLineNanos = min(oldestLineNanos, nanos)
                        newestLineNanos = max(newestLineNanos, nanos)
                        let start = Self.stepStart(nanos)
                        if start < latestStepStart { steppedBackFrom = max(steppedBackFrom ?? .min, latestStepStart) }
                        latestStepStart = max(latestStepStart, start)
                        latestStart = max(latestStart, start)
                        if let current = open[id], current.stepStartNanos != start {
                            Self.write(current, precision: precision, into: &out)
                            open[id] = nil
                        }
                        open[id, default: StepAccumulator(stepStartNanos: start)].add(scratch, at: nanos, newestFirst: false)
                    }
                }
                cursor = newline + 1
            }
        }
        // A container gone quiet (stopped, removed) has its step written once the others have moved on.
        for id in open.keys.sorted() where open[id]!.stepStartNanos < latestStart {
            Self.write(open[id]!, precision: precision, into: &out)
            open[id] = nil
        }
        return Folded(foldedBefore: open.values.lazy.map(\.stepStartNanos).min(), steppedBackFrom: steppedBackFrom)
    }

    /// Every open step, written as it stands (at shutdown). Returns the time before which every line folded so
    /// far is written: just past the newest.
    mutating func closeAll(precision: TimestampPrecision, into out: inout [Int64: (ByteBuffer, Int)]) -> Int64? {
        for id in open.keys.sorted() {
            if let step = open[id] { Self.write(step, precision: precision, into: &out) }
        }
        open.removeAll()
        return newestLineNanos == .min ? nil : newestLineNanos &+ 1
    }

    static func write(_ step: StepAccumulator, precision: TimestampPrecision, into out: inout [Int64: (ByteBuffer, Int)]) {
        guard let record = step.record() else { return }
        let day = DailyJSONLFile.dayNumber(nanos: step.stepStartNanos)
        var entry = out[day] ?? (ByteBuffer(), 0)
        record.write(to: &entry.0, precision: precision)
        entry.0.writeStaticString("\n")
        entry.1 += 1
        out[day] = entry
    }

    public static func stepStart(_ nanos: Int64) -> Int64 {
        let q = nanos / stepNanos
        return (nanos % stepNanos != 0 && nanos < 0 ? q - 1 : q) &* stepNanos
    }
}
