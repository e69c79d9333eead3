import MonitorCore
import MonitorEncoding
import MonitorStore
import NIOCore

/// What a history query asks: a window, an optional container (name, id or id prefix) and service, a level
/// for alerts, and how many records at most. (The HTTP layer reads it from a query string or a body.)
public struct HistoryRequest: Sendable {
    public var containerRef: String?
    public var serviceName: String?
    public var sinceNanos: Int64
    public var limit: Int
    public var level: AlertLevel?
    /// Samples only: one record per container per step of this many nanoseconds (`StepDownsampler`); `limit`
    /// then counts those records.
    public var stepNanos: Int64?
    /// The containers the caller may see: the others' records are left out as if they did not exist.
    public var visibility = ContainerVisibility.all

    public init(
        containerRef: String? = nil, serviceName: String? = nil, sinceNanos: Int64, limit: Int, level: AlertLevel? = nil,
        stepNanos: Int64? = nil
    ) {
        self.containerRef = containerRef
        self.serviceName = serviceName
        self.sinceNanos = sinceNanos
        self.limit = limit
        self.level = level
        self.stepNanos = stepNanos
    }
}

/// One record of a history answer: from memory (encoded on the way out) or from the store (its line as written).
public enum HistoryItem: Sendable {
    case sample(Sample)
    case alert(AlertRecord)
    case stored(StoredRecord)
    /// A container's step of a downsampled answer.
    case stepped(SteppedRecord)

    public var timestampNanos: Int64 {
        switch self {
        case .sample(let s): s.timestampNanos
        case .alert(let a): a.timestampNanos
        case .stored(let r): r.timestampNanos
        case .stepped(let r): r.stepStartNanos
        }
    }

    public func write(to buffer: inout ByteBuffer, precision: TimestampPrecision) {
        switch self {
        case .sample(let s): buffer.writeSampleJSON(s, precision: precision)
        case .alert(let a): buffer.writeAlertJSON(a, precision: precision)
        case .stored(var r): buffer.writeBuffer(&r.line)
        case .stepped(let r): r.write(to: &buffer, precision: precision)
        }
    }
}

/// What answers one history query: memory's records in the window (newest first) and, for what memory no
/// longer holds, the store. Sendable, so a streamed answer can build its store reader where it runs.
public struct HistoryPlan: Sendable {
    var memory: [HistoryItem]
    var store: (any HistoryStore)?
    var kind: HistoryKind
    var filter: StoredRecordFilter
    public let limit: Int
    /// One record per container per step (nil: every record as it is).
    var stepNanos: Int64? = nil
    /// How memory's samples are written before a step reads them: as the store writes its lines.
    var precision: TimestampPrecision = .milliseconds
    /// For a step that is a whole number of five-minute steps: the store's rolled-up steps that start before
    /// `rollupsBefore` (the raw records answer from there on).
    var rollups: StoredRecordFilter? = nil
    var rollupsBefore: Int64 = .min

    /// The answer's records, newest first, at most `limit`.
    public func records() -> HistoryRecords { HistoryRecords(self) }
}

/// An answer's records: the merged history, stepped when the query asked for a step, at most `limit`.
public final class HistoryRecords {
    private let merge: HistoryMerge
    private let stepper: StepDownsampler?
    private let rollups: (any StoredRecordReader)?
    private let rollupsBefore: Int64
    private var remaining: Int

    init(_ plan: HistoryPlan) {
        remaining = plan.limit
        // A stepped answer reads the whole window: its limit counts steps, not raw records.
        merge = HistoryMerge(plan, limit: plan.stepNanos == nil ? plan.limit : .max)
        stepper = plan.stepNanos.map { StepDownsampler(stepNanos: $0, precision: plan.precision) }
        rollups = plan.rollups.flatMap { plan.store?.records(.rollups, matching: $0) }
        rollupsBefore = plan.rollupsBefore
    }

    public func next() -> HistoryItem? {
        guard remaining > 0 else { return nil }
        let item = stepper.map { stepper in stepper.next { merge.next() ?? nextRollup() } } ?? merge.next()
        if item != nil { remaining -= 1 }
        return item
    }

    /// The rolled-up steps older than the raw records' window, newest first.
    private func nextRollup() -> HistoryItem? {
        while let record = rollups?.next() {
            if record.timestampNanos < rollupsBefore { return .stored(record) }
        }
        return nil
    }
}

/// Memory's records and the store's merged newest first. The store's records are read lazily, so an answer
/// that memory fills reads one chunk of today's file at most, and an export holds one chunk at a time.
public final class HistoryMerge {
    private let memory: [HistoryItem]
    private var memoryIndex = 0
    private let stored: (any StoredRecordReader)?
    private var storedHead: StoredRecord?
    private var remaining: Int

    init(_ plan: HistoryPlan, limit: Int) {
        memory = plan.memory
        remaining = limit
        stored = plan.store?.records(plan.kind, matching: plan.filter)
        storedHead = stored?.next()
    }

    public func next() -> HistoryItem? {
        guard remaining > 0 else { return nil }
        let fromMemory = memoryIndex < memory.count ? memory[memoryIndex] : nil
        let item: HistoryItem
        if let head = storedHead, head.timestampNanos > fromMemory?.timestampNanos ?? .min {
            item = .stored(head)
            storedHead = stored?.next()
        } else if let fromMemory {
            item = fromMemory
            memoryIndex += 1
        } else {
            return nil
        }
        remaining -= 1
        return item
    }
}

extension MonitoringRuntime {
    /// Samples: each live container's ring, then the store for what is older than that ring (or for
    /// containers memory no longer knows: gone, or from before a restart).
    public func samplePlan(_ q: HistoryRequest) throws(RuntimeError) -> HistoryPlan {
        // A step of whole five-minute steps over a window the store rolled up: its rolled-up steps answer up to
        // the newest it has on disk, the raw records from there on.
        var rollupsBefore: Int64?
        if let step = q.stepNanos, step % RollupWriter.stepNanos == 0, let steps = history?.rolledUpSteps(),
            RollupWriter.stepStart(q.sinceNanos) >= steps.lowerBound, steps.upperBound > q.sinceNanos
        {
            rollupsBefore = steps.upperBound
        }
        let since = max(q.sinceNanos, rollupsBefore ?? .min)
        var filter = StoredRecordFilter(sinceNanos: since, serviceName: q.serviceName)
        filter.visibility = q.visibility
        var series = registry.all
        for s in series {
            if let oldest = s.oldestTimestampNanos { filter.inMemorySince[s.identity.id] = oldest }
        }
        series = series.filter { q.visibility.sees($0.identity) }
        if let ref = q.containerRef {
            if let one = try container(ref, visibility: q.visibility) {
                series = [one]
                filter.containerID = one.identity.id
            } else {
                // A container that is gone may still have history under that name. A live one is served under
                // its current identity only: after a rename, the old name finds nothing.
                for s in series { filter.inMemorySince[s.identity.id] = .min }
                series = []
                filter.containerNameOrPrefix = ref
            }
        }
        if let service = q.serviceName { series = series.filter { $0.identity.serviceName == service } }
        var memory: [HistoryItem] = []
        let memoryLimit = q.stepNanos == nil ? q.limit : .max
        for s in series { memory += s.recent(limit: memoryLimit, notBeforeNanos: since).lazy.map { .sample($0) } }
        memory.sort { $0.timestampNanos > $1.timestampNanos }
        var plan = HistoryPlan(
            memory: memory, store: history, kind: .metrics, filter: filter, limit: q.limit, stepNanos: q.stepNanos,
            precision: timestampPrecision)
        if let rollupsBefore {
            // The same container and service, every container's steps read (memory holds no rolled-up step). A
            // rolled-up step is stamped with its start: the one holding the window's start is read whole (it may
            // hold up to five minutes from before the window).
            var rollups = filter
            rollups.sinceNanos = RollupWriter.stepStart(q.sinceNanos)
            // Memory holds no rolled-up step: only the entries that hide a live container's former name stay.
            rollups.inMemorySince = filter.inMemorySince.filter { $0.value == .min }
            plan.rollups = rollups
            plan.rollupsBefore = rollupsBefore
        }
        return plan
    }

    /// Alerts: the in-memory log, then the store for what is older than the log's oldest record.
    public func alertPlan(_ q: HistoryRequest) throws(RuntimeError) -> HistoryPlan {
        let since = q.sinceNanos
        var filter = StoredRecordFilter(sinceNanos: since, serviceName: q.serviceName, level: q.level?.rawValue)
        filter.allInMemorySince = alerts.oldestTimestampNanos
        filter.visibility = q.visibility
        var ids: Set<String>?
        var nameOrPrefix: ContainerReference?
        if let ref = q.containerRef {
            if let one = try container(ref, visibility: q.visibility) {
                ids = [one.identity.id]
                filter.containerID = one.identity.id
            } else {
                nameOrPrefix = ContainerReference(ref)  // a container that is gone may still have alerts
                filter.containerNameOrPrefix = ref
            }
        }
        let memory = alerts.newestFirst(notBeforeNanos: since, limit: q.limit) { a in
            if !q.visibility.sees(a) { return false }
            if let ids, !ids.contains(a.containerID) { return false }
            if let ref = nameOrPrefix, !ref.matches(id: a.containerID, name: a.containerName) { return false }
            if let service = q.serviceName, a.serviceName != service { return false }
            if let level = q.level, a.level != level { return false }
            return true
        }
        return HistoryPlan(
            memory: memory.map { .alert($0) }, store: history, kind: .alerts, filter: filter, limit: q.limit)
    }
}
