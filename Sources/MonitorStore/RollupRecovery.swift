import MonitorEncoding
import NIOCore

/// After a crash: the lines the previous run wrote but had not yet rolled up (its open steps, and the steps it
/// closed but had not flushed), folded again from the metrics files so that the rolled-up steps have no hole.
/// `RollupState.foldedBeforeNanos` says where they begin: every older line is in a rolled-up step on disk, no
/// newer one is.
enum RollupRecovery {
    /// More open steps than this (a run that could not write its steps for hours) are not folded again: the
    /// rolled-up steps begin anew after them, and queries read those hours from the lines.
    static let maxSteps = 20_000

    struct Result {
        /// The rolled-up steps, by the day of their start, oldest first within each day.
        var steps: [Int64: (ByteBuffer, Int)] = [:]
        /// Just past the newest line folded: the new `foldedBeforeNanos`.
        var foldedBeforeNanos: Int64
        /// False when there were too many steps to fold: nothing was folded.
        var complete = true
    }

    private struct StepKey: Hashable, Comparable {
        var start: Int64
        var containerID: String

        static func < (a: StepKey, b: StepKey) -> Bool {
            (a.start, a.containerID) < (b.start, b.containerID)
        }
    }

    /// The steps of the lines in `directory`'s metrics files from `foldedBeforeNanos` on; nil when there are none.
    static func fold(directory: String, foldedBeforeNanos: Int64, precision: TimestampPrecision) -> Result? {
        let lines = StoredRecords(directory: directory, prefix: HistoryKind.metrics.rawValue, filter: StoredRecordFilter(sinceNanos: foldedBeforeNanos))
        var open: [StepKey: StepAccumulator] = [:]
        var newest = Int64.min
        while let record = lines.next() {
            newest = max(newest, record.timestampNanos)
            let parsed = record.line.withUnsafeReadableBytes { StepAccumulator.Line(HistoryLine($0)) }
            guard let id = parsed.containerID else { continue }
            let key = StepKey(start: RollupWriter.stepStart(record.timestampNanos), containerID: id)
            if open[key] == nil, open.count >= maxSteps {
                return Result(foldedBeforeNanos: newest &+ 1, complete: false)
            }
            open[key, default: StepAccumulator(stepStartNanos: key.start)].add(parsed, at: record.timestampNanos, newestFirst: true)
        }
        guard newest != .min else { return nil }
        var result = Result(foldedBeforeNanos: newest &+ 1)
        for key in open.keys.sorted() {
            RollupWriter.write(open[key]!, precision: precision, into: &result.steps)
        }
        return result
    }
}
