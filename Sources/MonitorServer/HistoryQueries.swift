import MonitorCore
import MonitorEncoding
import MonitorStore
import NIOCore

/// One record of a history answer: from memory (encoded on the way out) or from a file (its line as written).
enum HistoryItem: Sendable {
    case sample(Sample)
    case alert(AlertRecord)
    case stored(StoredRecord)

    var timestampNanos: Int64 {
        switch self {
        case .sample(let s): s.timestampNanos
        case .alert(let a): a.timestampNanos
        case .stored(let r): r.timestampNanos
        }
    }

    func write(to buffer: inout ByteBuffer, precision: TimestampPrecision) {
        switch self {
        case .sample(let s): buffer.writeSampleJSON(s, precision: precision)
        case .alert(let a): buffer.writeAlertJSON(a, precision: precision)
        case .stored(var r): buffer.writeBuffer(&r.line)
        }
    }
}

/// What answers one history query: memory's records in the window (newest first) and, for what memory no
/// longer holds, the files. Sendable, so a streamed answer can build its file reader where it runs.
struct HistoryPlan: Sendable {
    var memory: [HistoryItem]
    var files: StoredHistory?
    var prefix: String
    var filter: StoredRecordFilter
    var limit: Int

    /// The answer's records, newest first, at most `limit`.
    func records() -> HistoryMerge { HistoryMerge(self) }
}

/// Memory's records and the files' merged newest first. The files' records are read lazily, so an answer
/// that memory fills reads one chunk of today's file at most, and an export holds one chunk at a time.
final class HistoryMerge {
    private let memory: [HistoryItem]
    private var memoryIndex = 0
    private let stored: StoredRecords?
    private var storedHead: StoredRecord?
    private var remaining: Int

    init(_ plan: HistoryPlan) {
        memory = plan.memory
        remaining = plan.limit
        stored = plan.files?.records(plan.prefix, plan.filter)
        storedHead = stored?.next()
    }

    func next() -> HistoryItem? {
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

extension MonitorBackend {
    /// Samples: each live container's ring, then the files for what is older than that ring (or for
    /// containers memory no longer knows: gone, or from before a restart).
    func samplePlan(_ q: HistoryQuery) throws(APIError) -> HistoryPlan {
        let since = q.windowStartNanos
        var filter = StoredRecordFilter(sinceNanos: since, serviceName: q.serviceName)
        var series = registry.all
        for s in series {
            if let oldest = s.oldestTimestampNanos { filter.inMemorySince[s.identity.id] = oldest }
        }
        if let ref = q.containerRef {
            if let one = try resolveContainer(ref, in: registry) {
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
        for s in series { memory += s.recent(limit: q.limit, notBeforeNanos: since).lazy.map { .sample($0) } }
        memory.sort { $0.timestampNanos > $1.timestampNanos }
        return HistoryPlan(memory: memory, files: history, prefix: "metrics", filter: filter, limit: q.limit)
    }

    /// Alerts: the in-memory log, then the alert files for what is older than the log's oldest record.
    func alertPlan(_ q: HistoryQuery) throws(APIError) -> HistoryPlan {
        let since = q.windowStartNanos
        var filter = StoredRecordFilter(sinceNanos: since, serviceName: q.serviceName, level: q.level?.rawValue)
        filter.allInMemorySince = alerts.oldestTimestampNanos
        var ids: Set<String>?
        var nameOrPrefix: ContainerReference?
        if let ref = q.containerRef {
            if let one = try resolveContainer(ref, in: registry) {
                ids = [one.identity.id]
                filter.containerID = one.identity.id
            } else {
                nameOrPrefix = ContainerReference(ref)  // a container that is gone may still have alerts
                filter.containerNameOrPrefix = ref
            }
        }
        let memory = alerts.newestFirst(notBeforeNanos: since, limit: q.limit) { a in
            if let ids, !ids.contains(a.containerID) { return false }
            if let ref = nameOrPrefix, !ref.matches(id: a.containerID, name: a.containerName) { return false }
            if let service = q.serviceName, a.serviceName != service { return false }
            if let level = q.level, a.level != level { return false }
            return true
        }
        return HistoryPlan(
            memory: memory.map { .alert($0) }, files: history, prefix: "alerts", filter: filter, limit: q.limit)
    }
}
