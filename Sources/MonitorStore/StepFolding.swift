import Glibc
import MonitorCore
import MonitorEncoding
import NIOCore

/// How a step's samples make each JSON metric of its record.
public enum StepAggregation: Sendable {
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

/// One container's open step: fed records in any order (the newest by time gives the newest values), each
/// weighing its `samples` (1 for a sample's line, more for a rolled-up step).
public struct StepAccumulator {
    public let stepStartNanos: Int64
    /// `"container_id":…,"container_name":…,"service_name":…,"project_name":…` as the newest record wrote it.
    private var identity: ByteBuffer?
    private var newest = [MetricValue](repeating: .absent, count: StepAggregation.fields.count)
    private var sums = [Double](repeating: 0, count: StepAggregation.fields.count)
    private var counts = [Int](repeating: 0, count: StepAggregation.fields.count)
    private var cpuMax = -Double.infinity
    private var memoryMax = -Double.infinity
    private var samples = 0
    private var newestNanos = Int64.min

    public init(stepStartNanos: Int64) { self.stepStartNanos = stepStartNanos }

    /// Folds one record read at `nanos` (a sample's line, or a rolled-up step's). `newestFirst`: the order
    /// records come in, which decides ties (equal timestamps: the first of a newest-first stream is the newest,
    /// the last of an oldest-first one).
    public mutating func add(_ line: Line, at nanos: Int64, newestFirst: Bool) {
        let isNewest = newestFirst ? nanos > newestNanos : nanos >= newestNanos
        if isNewest {
            newestNanos = nanos
            // A copy of its own, made only when the identity changes: the line's buffer is reused for the next.
            if let lineIdentity = line.identity, lineIdentity != identity { identity = ByteBuffer(bytes: lineIdentity.readableBytesView) }
        }
        // A rolled-up step weighs each of its means by all its samples, though a field may have been null in some
        // (a rate's first sample): folding such steps into a longer one can differ from the lines in the last
        // digits (`HistoryDownsamplingTests` bounds it). Counts per field would cost every record 20 numbers.
        let weight = max(line.samples ?? 1, 1)
        for (i, value) in line.values.enumerated() {
            if isNewest { newest[i] = value }
            guard let number = value.number, number.isFinite else { continue }
            sums[i] += number * Double(weight)
            counts[i] += weight
        }
        if let v = line.cpuPercentMax ?? line.values[StepAggregation.cpuPercent].number, v.isFinite { cpuMax = max(cpuMax, v) }
        if let v = line.memoryPercentMax ?? line.values[StepAggregation.memoryPercent].number, v.isFinite { memoryMax = max(memoryMax, v) }
        samples += weight
    }

    public func record() -> SteppedRecord? {
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

    /// A stored line's identity and metric values, read in one pass over its fields (and, for a rolled-up
    /// step, its `samples` and maxima). `read` reuses the storage of the line read before: the store folds
    /// every line it writes with one of these.
    public struct Line {
        public var containerID: String?
        /// `"container_id":…,"container_name":…,…`, empty when the line has none of those keys.
        private var identityBytes = ByteBuffer()
        var values = [MetricValue](repeating: .absent, count: StepAggregation.fields.count)
        var samples: Int?
        var cpuPercentMax: Double?
        var memoryPercentMax: Double?

        var identity: ByteBuffer? { identityBytes.readableBytes > 0 ? identityBytes : nil }

        public init() {}

        public init(_ line: HistoryLine) { read(line) }

        public mutating func read(_ line: HistoryLine) {
            containerID = nil
            identityBytes.clear()
            for i in values.indices { values[i] = .absent }
            samples = nil
            cpuPercentMax = nil
            memoryPercentMax = nil
            var next = 0  // the layout index the next metric key most likely has (keys are written in order)
            line.forEachField { key, value in
                if Self.equal(key, "timestamp") { return }  // the step's start is the record's time
                if next < MetricCatalog.layout.count, Self.equal(key, MetricCatalog.layout[next].key) {
                    values[next] = Self.number(value)
                    next += 1
                    return
                }
                if let fixed = Self.identityKeys.firstIndex(where: { Self.equal(key, $0) }) {
                    if identityBytes.readableBytes > 0 { identityBytes.writeStaticString(",") }
                    identityBytes.writeStaticString("\"")
                    identityBytes.writeBytes(key)
                    identityBytes.writeStaticString("\":")
                    identityBytes.writeBytes(value)
                    if fixed == 0, value.count >= 2 {
                        containerID = String(decoding: UnsafeRawBufferPointer(rebasing: value[1..<(value.count - 1)]), as: UTF8.self)
                    }
                    return
                }
                if Self.equal(key, "samples") {
                    // Capped: a damaged line's huge count must not overflow the sums it weighs.
                    samples = Self.number(value).number.map { Int(clamping: min(UInt64(saturating: $0), 1 << 40)) }
                    return
                }
                if Self.equal(key, "cpu_percent_max") { cpuPercentMax = Self.number(value).number; return }
                if Self.equal(key, "memory_percent_max") { memoryPercentMax = Self.number(value).number; return }
                if let index = StepAggregation.indexByKey[String(decoding: key, as: UTF8.self)] {
                    values[index] = Self.number(value)
                    next = index + 1
                }
            }
        }

        static let identityKeys: [StaticString] = ["container_id", "container_name", "service_name", "project_name"]

        static func equal(_ bytes: UnsafeRawBufferPointer, _ key: StaticString) -> Bool {
            bytes.count == key.utf8CodeUnitCount && memcmp(bytes.baseAddress!, key.utf8Start, bytes.count) == 0
        }

        /// `null`, a whole number, or a decimal (as our encoder writes them: no sign on whole numbers).
        public static func number(_ text: UnsafeRawBufferPointer) -> MetricValue {
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

    public func write(to buffer: inout ByteBuffer, precision: TimestampPrecision) {
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
