import MonitorCore
import NIOCore

/// Which records a history holds: samples (`metrics_…` files) or alerts (`alerts_…` files).
public enum HistoryKind: String, Sendable, CaseIterable {
    case metrics
    case alerts
    /// Five-minute steps of every container (`RollupWriter`).
    case rollups = "rollup300"
}

/// The records a query wants, newest first, produced lazily (one `next()` at a time) so that an answer memory
/// fills reads little and an export holds little.
public protocol StoredRecordReader: AnyObject {
    /// The next matching record, newest first; nil when the window is exhausted.
    func next() -> StoredRecord?
}

/// Where history goes and comes back from: a sink the tick hands its samples to (never waiting for it), alerts
/// persisted as they happen, and a reader answering newest first with `StoredRecordFilter`'s rules. The
/// JSONL store is the daemon's; `MemoryHistoryStore` serves the in-process tests. Queries merge its answer
/// with what memory still holds (`MonitorRuntime`'s history queries), so a store sees no HTTP.
public protocol HistoryStore: SampleSink, Sendable {
    /// Persists an alert (or a resolution).
    func persist(_ alert: AlertRecord)
    /// Persists one line of the audit trail (`audit_YYYY-MM-DD.jsonl`: a JSON object, no newline).
    func persist(auditLine: ByteBuffer, timestampNanos: Int64)
    /// The stored records of `kind` that `filter` wants, newest first.
    func records(_ kind: HistoryKind, matching filter: StoredRecordFilter) -> any StoredRecordReader
    /// How often a tick's samples are kept (the runtime changes it when the collection interval changes).
    func setPersistInterval(_ interval: Duration)
    /// Days of history kept.
    func setRetentionDays(_ days: Int)
    /// What the store did (writes, failures), for `/status` and `/statistics`.
    var statistics: StoreStatistics { get }
    /// The five-minute steps (`HistoryKind.rollups`) the store has written, with none missing: those that start
    /// in this range (less what retention has deleted since, with the lines of the same days). A stepped query
    /// reads them rather than every line; nil when there are none.
    func rolledUpSteps() -> Range<Int64>?
}

extension HistoryStore {
    public func rolledUpSteps() -> Range<Int64>? { nil }
    /// A store without files keeps no audit trail.
    public func persist(auditLine: ByteBuffer, timestampNanos: Int64) {}
}
