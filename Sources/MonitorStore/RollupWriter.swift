import Glibc
import MonitorEncoding
import NIOCore

/// Five-minute steps of every container, folded from the very lines the store writes and written beside them
/// (`rollup300_YYYY-MM-DD.jsonl`, one record per container per step, as a `step=300` answer writes it): a week
/// at `step=300` then reads 2,016 records a container instead of 604,800 lines. A step is written when its
/// container's first line of a later step arrives (or, for a container gone quiet, when the others' lines
/// reach a later step), and every open step at shutdown (a step cut by a restart is written twice, in two parts
/// that a query folds together by their `samples`).
public struct RollupWriter {
    public static let prefix = "rollup300"
    public static let stepNanos: Int64 = 300_000_000_000

    private var open: [String: StepAccumulator] = [:]

    /// Folds `lines` (whole JSONL lines, as just encoded) and appends the steps they closed to `out`; returns
    /// how many records it appended, by the day of each step's start.
    mutating func fold(_ lines: ByteBuffer, precision: TimestampPrecision, into out: inout [Int64: (ByteBuffer, Int)]) {
        var latestStart = Int64.min
        defer {
            // A container gone quiet (stopped, removed) has its step written once the others have moved on.
            for id in open.keys.sorted() where open[id]!.stepStartNanos < latestStart {
                Self.write(open[id]!, precision: precision, into: &out)
                open[id] = nil
            }
        }
        lines.withUnsafeReadableBytes { bytes in
            guard var cursor = bytes.baseAddress else { return }
            let end = cursor + bytes.count
            while cursor < end {
                let newline = memchr(cursor, Int32(UInt8(ascii: "\n")), end - cursor).map { UnsafeRawPointer($0) } ?? end
                let line = HistoryLine(UnsafeRawBufferPointer(start: cursor, count: newline - cursor))
                if let nanos = line.timestampNanos {
                    let parsed = StepAccumulator.Line(line)
                    if let id = parsed.containerID {
                        let start = Self.stepStart(nanos)
                        latestStart = max(latestStart, start)
                        if let current = open[id], current.stepStartNanos != start {
                            Self.write(current, precision: precision, into: &out)
                            open[id] = nil
                        }
                        open[id, default: StepAccumulator(stepStartNanos: start)].add(parsed, at: nanos, newestFirst: false)
                    }
                }
                cursor = newline + 1
            }
        }
    }

    /// Every open step, written as it stands (at shutdown).
    mutating func closeAll(precision: TimestampPrecision, into out: inout [Int64: (ByteBuffer, Int)]) {
        for id in open.keys.sorted() {
            if let step = open[id] { Self.write(step, precision: precision, into: &out) }
        }
        open.removeAll()
    }

    private static func write(_ step: StepAccumulator, precision: TimestampPrecision, into out: inout [Int64: (ByteBuffer, Int)]) {
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
