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
        open[id, default: StepAccumulator(stepStartNanos: step &* stepNanos)].add(line)
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

/// How a step's samples make each JSON metric of its record.
enum StepAggregation {
    /// Rates and percentages: the mean of the step's values.
    case mean
    /// Counters and gauges: the newest value.
    case newest

    /// The catalog's JSON metrics, in order, each with its aggregation and the index of its key.
    static let fields: [StepAggregation] = MetricCatalog.metrics.filter(\.inJSON).map { metric in
        metric.unit == .percent || metric.unit == .bytesPerSecond ? .mean : .newest
    }
    static let indexByKey: [String: Int] = Dictionary(
        uniqueKeysWithValues: MetricCatalog.layout.enumerated().map { ("\($0.element.key)", $0.offset) })
    static let cpuPercent = indexByKey["cpu_percent"]!
    static let memoryPercent = indexByKey["memory_percent"]!
}

/// One container's open step.
struct StepAccumulator {
    let stepStartNanos: Int64
    /// `"container_id":…,"container_name":…,"service_name":…,"project_name":…` as the newest record wrote it.
    private var identity: ByteBuffer?
    private var newest = [MetricValue](repeating: .absent, count: StepAggregation.fields.count)
    private var sums = [Double](repeating: 0, count: StepAggregation.fields.count)
    private var counts = [Int](repeating: 0, count: StepAggregation.fields.count)
    private var cpuMax = -Double.infinity
    private var memoryMax = -Double.infinity
    private var samples = 0

    init(stepStartNanos: Int64) { self.stepStartNanos = stepStartNanos }

    mutating func add(_ line: Line) {
        if identity == nil { identity = line.identity }
        for (i, value) in line.values.enumerated() { add(value, at: i) }
        samples += 1
    }

    private mutating func add(_ value: MetricValue, at i: Int) {
        // The stream is newest first: the first record of the step holds its newest values.
        if samples == 0 { newest[i] = value }
        guard let number = value.number, number.isFinite else { return }
        sums[i] += number
        counts[i] += 1
        if i == StepAggregation.cpuPercent { cpuMax = max(cpuMax, number) }
        if i == StepAggregation.memoryPercent { memoryMax = max(memoryMax, number) }
    }

    func record() -> SteppedRecord? {
        guard let identity, samples > 0 else { return nil }
        let values = StepAggregation.fields.enumerated().map { i, aggregation -> MetricValue in
            switch aggregation {
            case .newest: newest[i]
            case .mean: counts[i] > 0 ? .decimal(sums[i] / Double(counts[i])) : .absent
            }
        }
        return SteppedRecord(
            stepStartNanos: stepStartNanos, identity: identity, values: values,
            cpuPercentMax: cpuMax.isFinite ? cpuMax : nil, memoryPercentMax: memoryMax.isFinite ? memoryMax : nil,
            samples: samples)
    }

    /// A stored line's identity and metric values, read in one pass over its fields.
    struct Line {
        var containerID: String?
        var identity: ByteBuffer?
        var values = [MetricValue](repeating: .absent, count: StepAggregation.fields.count)

        init(_ line: HistoryLine) {
            var identity = ByteBuffer()
            var next = 0  // the layout index the next metric key most likely has (keys are written in order)
            line.forEachField { key, value in
                if Self.equal(key, "timestamp") { return }  // the step's start is the record's time
                if next < MetricCatalog.layout.count, Self.equal(key, MetricCatalog.layout[next].key) {
                    values[next] = Self.number(value)
                    next += 1
                    return
                }
                if let fixed = Self.identityKeys.firstIndex(where: { Self.equal(key, $0) }) {
                    if identity.readableBytes > 0 { identity.writeStaticString(",") }
                    identity.writeStaticString("\"")
                    identity.writeBytes(key)
                    identity.writeStaticString("\":")
                    identity.writeBytes(value)
                    if fixed == 0, value.count >= 2 {
                        containerID = String(decoding: UnsafeRawBufferPointer(rebasing: value[1..<(value.count - 1)]), as: UTF8.self)
                    }
                    return
                }
                if let index = StepAggregation.indexByKey[String(decoding: key, as: UTF8.self)] {
                    values[index] = Self.number(value)
                    next = index + 1
                }
            }
            if identity.readableBytes > 0 { self.identity = identity }
        }

        static let identityKeys: [StaticString] = ["container_id", "container_name", "service_name", "project_name"]

        static func equal(_ bytes: UnsafeRawBufferPointer, _ key: StaticString) -> Bool {
            bytes.count == key.utf8CodeUnitCount && memcmp(bytes.baseAddress!, key.utf8Start, bytes.count) == 0
        }

        /// `null`, a whole number, or a decimal (as our encoder writes them: no sign on whole numbers).
        static func number(_ text: UnsafeRawBufferPointer) -> MetricValue {
            guard let first = text.first, first != UInt8(ascii: "n") else { return .absent }
            var whole: UInt64 = 0
            var isWhole = true
            for byte in text {
                guard byte >= 0x30, byte <= 0x39 else {
                    isWhole = false
                    break
                }
                let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
                whole = o1 || o2 ? .max : sum
            }
            if isWhole { return .integer(whole) }
            // strtod needs a terminated string: numbers are short, a stack buffer holds them.
            guard text.count < 64 else { return .absent }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
                for (i, byte) in text.enumerated() { buffer[i] = CChar(bitPattern: byte) }
                buffer[text.count] = 0
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(buffer.baseAddress!, &end)
                return end == buffer.baseAddress! + text.count ? .decimal(value) : .absent
            }
        }
    }
}

/// One container's step, as a history answer writes it: a sample's fields in a sample's order (the timestamp
/// is the step's start), then `cpu_percent_max`, `memory_percent_max` and `samples`.
public struct SteppedRecord: Sendable {
    public var stepStartNanos: Int64
    var identity: ByteBuffer
    public var values: [MetricValue]
    public var cpuPercentMax: Double?
    public var memoryPercentMax: Double?
    public var samples: Int

    func write(to buffer: inout ByteBuffer, precision: TimestampPrecision) {
        buffer.writeStaticString("{")
        var identity = self.identity
        buffer.writeBuffer(&identity)
        buffer.writeStaticString(",")
        buffer.writeJSONKey("timestamp")
        buffer.writeStaticString("\"")
        buffer.writeRFC3339(nanos: stepStartNanos, precision: precision)
        buffer.writeStaticString("\"")
        for (metric, value) in zip(MetricCatalog.layout, values) {
            buffer.writeStaticString(",")
            buffer.writeJSONKey(metric.key)
            switch (value, metric.format) {
            case (.integer(let v), _): buffer.writeDecimal(v)
            case (.decimal(let v), .decimal(let places)): buffer.writeJSONDouble(v, decimals: places)
            case (.decimal(let v), .integer): buffer.writeDecimal(UInt64(saturating: v.rounded()))
            case (.absent, _): buffer.writeStaticString("null")
            }
        }
        for (key, value) in [("cpu_percent_max", cpuPercentMax), ("memory_percent_max", memoryPercentMax)] {
            buffer.writeStaticString(",\"")
            buffer.writeString(key)
            buffer.writeStaticString("\":")
            if let value { buffer.writeJSONDouble(value, decimals: 2) } else { buffer.writeStaticString("null") }
        }
        buffer.writeStaticString(",")
        buffer.writeJSONKey("samples")
        buffer.writeDecimal(UInt64(samples))
        buffer.writeStaticString("}")
    }
}
