import MonitorCore
import MonitorEncoding
import MonitorNotifications
import MonitorStore
import Synchronization

/// What the HTTP layer serves from: the engine's collection service, series, thresholds and alerts, plus
/// the few settings the API reports or changes. The HTTP layer knows these types, never a cgroup file.
public final class MonitorBackend: Sendable {
    public let collection: CollectorService
    public let thresholds: ThresholdTable
    public let alerts: AlertLog
    public let retentionDays: Atomic<Int>
    public let storagePath: String
    /// What the JSONL store did (nil when nothing is persisted).
    public let store: StoreStatistics?
    /// The history files, for what memory no longer holds (nil: memory only).
    public let history: StoredHistory?
    /// Alert evaluation on the tick (nil: alerts come only from `POST /test/alert`).
    public let evaluator: AlertEvaluator?
    /// Webhook deliveries (nil: no webhook configured).
    public let webhooks: WebhookStatistics?
    /// How containers are found and whether that works now (nil: not known to the server).
    public let discovery: DiscoveryState?
    public let websocket = WebSocketStatistics()
    public let requests = RequestStatistics()

    /// Told of a configuration change (`POST /config`) after it is applied: the new interval and/or
    /// retention, nil for what did not change. The store follows both.
    let onConfigurationChange: @Sendable (_ interval: Duration?, _ retentionDays: Int?) -> Void

    /// Saves the thresholds after a change (global metrics changed given), so that they survive a restart.
    /// Returns why it could not, nil when saved.
    let saveThresholds: @Sendable (_ changedGlobal: Set<MetricType>) -> String?

    public init(
        collection: CollectorService, thresholds: ThresholdTable, alerts: AlertLog, retentionDays: Int, storagePath: String,
        store: StoreStatistics? = nil, history: StoredHistory? = nil, evaluator: AlertEvaluator? = nil,
        webhooks: WebhookStatistics? = nil, discovery: DiscoveryState? = nil,
        onConfigurationChange: @escaping @Sendable (_ interval: Duration?, _ retentionDays: Int?) -> Void = { _, _ in },
        saveThresholds: @escaping @Sendable (_ changedGlobal: Set<MetricType>) -> String? = { _ in nil }
    ) {
        self.evaluator = evaluator
        self.webhooks = webhooks
        self.discovery = discovery
        self.saveThresholds = saveThresholds
        self.store = store
        self.history = history
        self.onConfigurationChange = onConfigurationChange
        self.collection = collection
        self.thresholds = thresholds
        self.alerts = alerts
        self.retentionDays = Atomic(retentionDays)
        self.storagePath = storagePath
    }

    public var registry: SeriesRegistry { collection.registry }

    /// Milliseconds in timestamps when collecting faster than once a second (SPEC §2).
    public var timestampPrecision: TimestampPrecision {
        collection.interval < .seconds(1) ? .milliseconds : .seconds
    }

    public var intervalSeconds: Double {
        let c = collection.interval.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// WebSocket counters for `status` and `statistics`.
public final class WebSocketStatistics: Sendable {
    public let activeConnections = Atomic<Int>(0)
    public let totalConnections = Atomic<Int>(0)
    public let messagesSent = Atomic<Int>(0)
    public let errors = Atomic<Int>(0)
    /// Clients closed because their queue filled (slow or stuck readers).
    public let droppedClients = Atomic<Int>(0)
    /// Messages not delivered because a client's queue was full.
    public let droppedMessages = Atomic<Int>(0)
    /// Ticks not fanned out at all because the hub's thread was behind (every batch still held).
    public let droppedTicks = Atomic<Int>(0)
    public let refusedConnections = Atomic<Int>(0)
    public init() {}
}

/// Request counts and latency for `statistics`, and what the HTTP guard refused or cut.
public final class RequestStatistics: Sendable {
    public let count = Atomic<UInt64>(0)
    public let totalNanos = Atomic<UInt64>(0)
    /// Requests the HTTP parser refused (400, 431, 501, 505).
    public let malformed = Atomic<Int>(0)
    /// Bodies over the limit (413).
    public let tooLarge = Atomic<Int>(0)
    /// Connections closed for a head, body or write that did not come in time.
    public let timedOut = Atomic<Int>(0)
    /// Heavy queries refused because enough were already running (429).
    public let busy = Atomic<Int>(0)
    public init() {}
}
