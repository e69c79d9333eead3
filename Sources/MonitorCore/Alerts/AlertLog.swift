import Synchronization

/// Recent alerts in memory, newest last, bounded. `GET /alerts` answers from here first and from the alert
/// files for what is older; listeners (the WebSocket hub, callbacks) hear every new record.
public final class AlertLog: Sendable {
    private let records: Mutex<RingBuffer<AlertRecord>>
    private let listeners = Mutex<[@Sendable (AlertRecord) -> Void]>([])

    public init(capacity: Int = 10_000) {
        records = Mutex(RingBuffer(capacity: capacity))
    }

    public func append(_ record: AlertRecord) {
        records.withLock { $0.append(record) }
        for listener in listeners.withLock({ $0 }) { listener(record) }
    }

    /// `listener` hears every new record at once, on the thread that appends it (the collector's, for
    /// evaluated alerts): it must only enqueue.
    public func addListener(_ listener: @escaping @Sendable (AlertRecord) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    /// The seed's `add_alert_callback`: `callback` runs for every new record (alerts and resolutions), in
    /// order, on a task of its own — never on the collector's thread. A slow callback only delays itself; past
    /// `queue` waiting records the oldest are dropped.
    public func addCallback(queue: Int = 1000, _ callback: @escaping @Sendable (AlertRecord) async -> Void) {
        let (stream, input) = AsyncStream.makeStream(of: AlertRecord.self, bufferingPolicy: .bufferingNewest(queue))
        addListener { input.yield($0) }
        Task { for await record in stream { await callback(record) } }
    }

    /// When the oldest record still in memory was made: older alerts come from the files.
    public var oldestTimestampNanos: Int64? { records.withLock { $0.first?.timestampNanos } }

    /// Records newest first that `keep` accepts, at most `limit`, none older than `notBeforeNanos`.
    public func newestFirst(notBeforeNanos: Int64, limit: Int, where keep: (AlertRecord) -> Bool) -> [AlertRecord] {
        let window: [AlertRecord] = records.withLock { ring in
            var out: [AlertRecord] = []
            ring.forEachNewestFirst { record in
                guard record.timestampNanos >= notBeforeNanos else { return false }
                out.append(record)
                return true
            }
            return out
        }
        return Array(window.lazy.filter(keep).prefix(limit))
    }
}
