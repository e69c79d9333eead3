import MonitorCore
import MonitorEncoding
import MonitorHealth
import NIOCore
import Synchronization

/// A history kept in memory, as the lines the JSONL store would write: for the in-process tests and tools that
/// need a `HistoryStore` without a disk. It answers with the files' rules (`StoredRecordMatcher` over the same
/// line bytes), keeps about `capacity` records of each kind (the oldest go first), and encodes on the
/// caller's thread: the daemon's tick never feeds one.
public final class MemoryHistoryStore: HistoryStore, Sendable {
    private struct Held {
        var metrics: [StoredRecord] = []
        var alerts: [StoredRecord] = []
        var persistIntervalNanos: Int64
        var lastPersisted: Int64 = .min
        var retentionDays: Int
    }

    private let held: Mutex<Held>
    private let capacity: Int
    private let precision: TimestampPrecision
    public let statistics: StoreStatistics

    public init(
        persistInterval: Duration = .seconds(1), retentionDays: Int = 7, capacity: Int = 100_000,
        precision: TimestampPrecision = .milliseconds, health: HealthRegistry = HealthRegistry()
    ) {
        statistics = StoreStatistics(health: health)
        held = Mutex(Held(persistIntervalNanos: persistInterval.saturatingNanoseconds, retentionDays: retentionDays))
        self.capacity = max(capacity, 1)
        self.precision = precision
    }

    /// Stores `samples` as one persisted tick, whatever the persistence interval (for tests that fill a history).
    public func write(_ samples: [Sample]) {
        let records = samples.map { sample in
            var line = ByteBuffer()
            line.writeSampleJSON(sample, precision: precision)
            return StoredRecord(timestampNanos: sample.timestampNanos, line: line)
        }
        held.withLock { append(records, to: &$0.metrics) }
        statistics.samplesPersisted.add(UInt64(records.count))
    }

    public func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        let due = held.withLock { held in
            guard held.lastPersisted == .min || tick.wallNanos &- held.lastPersisted >= held.persistIntervalNanos else { return false }
            held.lastPersisted = tick.wallNanos
            return true
        }
        guard due else { return }
        var copied: [Sample] = []
        copied.reserveCapacity(samples.count)
        for i in samples.indices { copied.append(samples[i]) }
        write(copied)
    }

    public func persist(_ alert: AlertRecord) {
        var line = ByteBuffer()
        line.writeAlertJSON(alert, precision: precision)
        held.withLock { append([StoredRecord(timestampNanos: alert.timestampNanos, line: line)], to: &$0.alerts) }
        statistics.alertsPersisted.add(1)
    }

    /// Keeps `list` oldest first: sorted again only when a record comes out of order; trimmed back to
    /// `capacity` a quarter at a time, not one record per write.
    private func append(_ records: [StoredRecord], to list: inout [StoredRecord]) {
        let inOrder = zip(records, records.dropFirst()).allSatisfy { $0.timestampNanos <= $1.timestampNanos }
            && (list.last?.timestampNanos ?? .min) <= (records.first?.timestampNanos ?? .max)
        list += records
        if !inOrder { list.sort { $0.timestampNanos < $1.timestampNanos } }
        if list.count > capacity + capacity / 4 { list.removeFirst(list.count - capacity) }
    }

    public func records(_ kind: HistoryKind, matching filter: StoredRecordFilter) -> any StoredRecordReader {
        // No rolled-up steps are kept in memory: a query folds the samples themselves.
        let snapshot = held.withLock { held -> [StoredRecord] in
            switch kind {
            case .metrics: held.metrics
            case .alerts: held.alerts
            case .rollups: []
            }
        }
        return Reader(newestLast: snapshot, matcher: StoredRecordMatcher(filter))
    }

    public func setPersistInterval(_ interval: Duration) {
        held.withLock { $0.persistIntervalNanos = interval.saturatingNanoseconds }
    }

    public func setRetentionDays(_ days: Int) {
        held.withLock { $0.retentionDays = days }
    }

    /// How often a tick's samples are kept, as last set.
    public var persistInterval: Duration { .nanoseconds(held.withLock { $0.persistIntervalNanos }) }

    /// Days of history kept, as last set (memory keeps `capacity` records whatever it says).
    public var retentionDays: Int { held.withLock { $0.retentionDays } }

    /// Walks a snapshot from its newest record, testing each line's bytes as the files' reader does.
    private final class Reader: StoredRecordReader {
        private let records: [StoredRecord]
        private var index: Int
        private let matcher: StoredRecordMatcher

        init(newestLast: [StoredRecord], matcher: StoredRecordMatcher) {
            records = newestLast
            index = newestLast.count
            self.matcher = matcher
        }

        func next() -> StoredRecord? {
            while index > 0 {
                index -= 1
                let record = records[index]
                let time = record.line.withUnsafeReadableBytes { matcher.accept(HistoryLine($0)) }
                if let time { return StoredRecord(timestampNanos: time, line: record.line) }
            }
            return nil
        }
    }
}
