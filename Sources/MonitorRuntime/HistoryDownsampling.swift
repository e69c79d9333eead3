import Glibc
import MonitorCore
import MonitorEncoding
import MonitorStore
import NIOCore

/// Long windows as one record per container per step (SPEC §7, `step`): the step's rates and percentages
/// averaged, its counters and gauges at their newest value, plus `cpu_percent_max`, `memory_percent_max` and
/// `samples` (how many records the step held). Fed the merged history newest first, it closes a step when the
/// stream moves past it, so it holds one open step per container, never the window.
///
/// Memory's samples are first written as the store writes them (the same JSON, the same timestamp precision)
/// and read back like the files' lines: a step gives the same figures before and after its samples leave the
/// ring, to the last rounded digit.
final class StepDownsampler {
    private let stepNanos: Int64
    private let precision: TimestampPrecision
    private var scratch = ByteBuffer()
    private var currentStep: Int64?
    /// The open step of each container, by container id.
    private var open: [String: StepAccumulator] = [:]
    /// Closed steps waiting to be handed out, in the order they go.
    private var ready: [SteppedRecord] = []
    private var readyIndex = 0

    init(stepNanos: Int64, precision: TimestampPrecision) {
        self.stepNanos = max(stepNanos, 1)
        self.precision = precision
    }

    /// The next stepped record, pulling raw records from `source` as needed; nil when both are exhausted.
    func next(from source: () -> HistoryItem?) -> HistoryItem? {
        while readyIndex == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            guard let item = source() else {
                closeOpenSteps()
                if ready.isEmpty { return nil }
                break
            }
            add(item)
        }
        defer { readyIndex += 1 }
        return .stepped(ready[readyIndex])
    }

    private func add(_ item: HistoryItem) {
        switch item {
        case .sample(let sample):
            scratch.clear()
            scratch.writeSampleJSON(sample, precision: precision)
            scratch.withUnsafeReadableBytes { bytes in
                let line = HistoryLine(bytes)
                add(StepAccumulator.Line(line), at: line.timestampNanos ?? sample.timestampNanos)
            }
        case .stored(let record):
            record.line.withUnsafeReadableBytes { bytes in add(StepAccumulator.Line(HistoryLine(bytes)), at: record.timestampNanos) }
        case .alert, .stepped:
            break
        }
    }

    private func add(_ line: StepAccumulator.Line, at nanos: Int64) {
        guard let id = line.containerID else { return }
        let step = floorDivide(nanos, stepNanos)
        if let currentStep, step != currentStep { closeOpenSteps() }
        currentStep = step
        open[id, default: StepAccumulator(stepStartNanos: step &* stepNanos)].add(line, at: nanos, newestFirst: true)
    }

    /// The open steps become records, one per container, by container id (a stable order for equal steps).
    private func closeOpenSteps() {
        for id in open.keys.sorted() {
            if let record = open[id]?.record() { ready.append(record) }
        }
        open.removeAll(keepingCapacity: true)
    }

    private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
