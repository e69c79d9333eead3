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

    public func addListener(_ listener: @escaping @Sendable (AlertRecord) -> Void) {
        listeners.withLock { $0.append(listener) }
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
