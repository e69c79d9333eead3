import Logging
import MonitorCore
import MonitorEncoding
import MonitorHealth
import MonitorNotifications
import MonitorStore
import Synchronization

/// The monitoring as it runs, below any protocol: the collection and its configuration (interval, retention,
/// persistence: one place that validates and applies a change), the thresholds and their file, the alerts
/// and who hears of them, the history (memory and the store, merged) and the figures `/statistics` reports.
/// The HTTP layer and the WebSocket hub ask it and turn its answers and `RuntimeError`s into responses; a
/// test drives it directly, with a `MemoryHistoryStore` for history.
public final class MonitoringRuntime: Sendable {
    public let collection: CollectorService
    public let thresholds: ThresholdTable
    public let alerts: AlertLog
    /// Alert evaluation on the tick (nil: alerts come only from test alerts).
    public let evaluator: AlertEvaluator?
    /// Where samples and alerts are persisted and read back (nil: memory only).
    public let history: (any HistoryStore)?
    /// Where the history is kept, as `/status` reports it.
    public let storagePath: String
    /// What a configuration change may set.
    public let limits: RuntimeLimits
    /// Webhook deliveries (nil: no webhook configured).
    public let webhooks: WebhookStatistics?
    /// How containers are found and whether that works now (nil: not known).
    public let discovery: DiscoveryState?

    private let retention: Atomic<Int>
    /// False: persistence follows the collection interval (never under a second, SPEC §7).
    private let persistIntervalIsOwn: Bool
    private let thresholdFile: ThresholdFile?
    let logger: Logger

    /// The thresholds saved through the API are loaded from `thresholdFile` over `thresholds`' defaults, and
    /// every alert goes to the history from now on.
    public init(
        collection: CollectorService, thresholds: ThresholdTable, alerts: AlertLog, evaluator: AlertEvaluator? = nil,
        history: (any HistoryStore)? = nil, storagePath: String, retentionDays: Int, limits: RuntimeLimits = RuntimeLimits(),
        persistIntervalIsOwn: Bool = false, thresholdFile: ThresholdFile? = nil, webhooks: WebhookStatistics? = nil,
        discovery: DiscoveryState? = nil, logger: Logger
    ) {
        self.collection = collection
        self.thresholds = thresholds
        self.alerts = alerts
        self.evaluator = evaluator
        self.history = history
        self.storagePath = storagePath
        self.limits = limits
        self.webhooks = webhooks
        self.discovery = discovery
        self.retention = Atomic(retentionDays)
        self.persistIntervalIsOwn = persistIntervalIsOwn
        self.thresholdFile = thresholdFile
        self.logger = logger
        thresholdFile?.load(into: thresholds, logger: logger)
        // Build one runtime per alert log: a second one over the same log would persist each alert again.
        if let history { alerts.addListener { history.persist($0) } }
    }

    public var registry: SeriesRegistry { collection.registry }
    /// The daemon's health registry: the collector's, which every other part is given too (`Daemon.build`).
    public var health: HealthRegistry { collection.health }
    public var interval: Duration { collection.interval }
    public var retentionDays: Int { retention.load(ordering: .relaxed) }
    public var isCollecting: Bool { collection.isCollecting.load(ordering: .relaxed) }

    /// Starts or stops collection (`POST /start`, `/stop`); history is served either way.
    public func setCollecting(_ on: Bool) { collection.isCollecting.store(on, ordering: .relaxed) }

    /// Milliseconds in timestamps when collecting faster than once a second (SPEC §2).
    public var timestampPrecision: TimestampPrecision { interval < .seconds(1) ? .milliseconds : .seconds }

    /// A live container by name, full id or id prefix (`ContainerReference`); nil when none; an ambiguous
    /// prefix is refused.
    /// A live container by name, id or id prefix, among those `visibility` lets the caller see.
    public func container(_ reference: String, visibility: ContainerVisibility = .all) throws(RuntimeError) -> ContainerSeries? {
        switch registry.lookup(reference, among: visibility) {
        case .found(let series): return series
        case .notFound: return nil
        case .ambiguous(let count): throw .invalid("Préfixe d'identifiant ambigu: \(reference) (\(count) conteneurs)")
        }
    }

    /// Checks the whole change without applying any of it: the interval and the retention, then each threshold.
    public func check(_ change: ConfigurationChange) throws(RuntimeError) {
        if let refusal = limits.refusal(of: change) { throw refusal }
        for item in change.thresholds {
            if let failure = Self.refusal(of: item.threshold) { throw failure }
        }
    }

    /// Validates the whole change, then applies it: the interval to the collection (and to persistence when it
    /// follows it), the retention to the history, the thresholds to the table and their file.
    public func apply(_ change: ConfigurationChange) throws(RuntimeError) {
        try check(change)
        if let interval = change.interval {
            collection.setInterval(interval)
            // Sub-second collection does not multiply disk use.
            if !persistIntervalIsOwn { history?.setPersistInterval(max(interval, .seconds(1))) }
        }
        if let days = change.retentionDays {
            retention.store(days, ordering: .relaxed)
            history?.setRetentionDays(days)
        }
        if !change.thresholds.isEmpty {
            thresholds.set(change.thresholds.map { ($0.metric, $0.scope, $0.threshold) })
            saveThresholds(changedGlobal: Set(change.thresholds.filter { $0.scope == .global }.map(\.metric)))
        }
    }

    /// Tells `listener` of every alert and resolution (the journal line, webhooks, the WebSocket hub).
    public func addAlertListener(_ listener: @escaping @Sendable (AlertRecord) -> Void) {
        alerts.addListener(listener)
    }

    /// Saves the thresholds so that they survive a restart; false (logged) when the directory refuses, the
    /// change then applying until the next restart.
    @discardableResult
    func saveThresholds(changedGlobal: Set<MetricType>) -> Bool {
        guard let thresholdFile else { return true }
        do {
            try thresholdFile.save(thresholds, changedGlobal: changedGlobal)
            return true
        } catch {
            logger.error("cannot save thresholds; the change applies until the next restart", metadata: ["error": "\(error)"])
            return false
        }
    }
}
