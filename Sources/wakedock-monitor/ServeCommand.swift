import ArgumentParser
import CSupport
import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import MonitorNotifications
import MonitorServer
import MonitorStore
import MonitorSystemd
import ServiceLifecycle

/// `wakedock-monitor serve`: the daemon. Runs discovery and the collection loop until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the monitoring daemon (the default).",
        discussion: """
            Every flag mirrors an environment variable; a flag beats its variable. A bad value stops start-up \
            with one line naming it (exit status 78).
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "Collection interval in seconds, fractional allowed (WAKEDOCK_METRICS_INTERVAL, default 5).")
    var interval: String?
    @Option(help: "Days of history kept on disk (WAKEDOCK_METRICS_RETENTION_DAYS, default 7).")
    var retentionDays: String?
    @Option(help: "Directory of the JSONL history (WAKEDOCK_METRICS_STORAGE_PATH, default /var/log/wakedock/metrics).")
    var storage: String?
    @Option(help: "Seconds between persisted samples (WAKEDOCK_PERSIST_INTERVAL, default: the collection interval, at least 1).")
    var persistInterval: String?
    @Option(help: "Bytes after which a history file is closed and compressed (WAKEDOCK_METRICS_MAX_FILE_BYTES, default 50000000).")
    var maxFileBytes: String?
    @Option(help: "Address to listen on (WAKEDOCK_HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (WAKEDOCK_PORT, default 8000).")
    var port: String?
    @Option(help: "Most WebSocket clients at once (WAKEDOCK_WS_MAX_CLIENTS, default 100).")
    var wsMaxClients: String?
    @Option(help: "Seconds between WebSocket pings (WAKEDOCK_WS_PING_INTERVAL, default 30).")
    var wsPingInterval: String?
    @Option(help: "Seconds of silence before a WebSocket client is closed (WAKEDOCK_WS_CLIENT_TIMEOUT, default 60).")
    var wsClientTimeout: String?
    @Option(help: "Messages a WebSocket client may have waiting before it is dropped as too slow (WAKEDOCK_WS_QUEUE_SIZE, default 1024).")
    var wsQueueSize: String?
    @Option(help: "CPU % warning threshold (WAKEDOCK_CPU_WARNING_THRESHOLD, default 70).")
    var cpuWarning: String?
    @Option(help: "CPU % critical threshold (WAKEDOCK_CPU_CRITICAL_THRESHOLD, default 90).")
    var cpuCritical: String?
    @Option(help: "Memory % warning threshold (WAKEDOCK_MEMORY_WARNING_THRESHOLD, default 80).")
    var memoryWarning: String?
    @Option(help: "Memory % critical threshold (WAKEDOCK_MEMORY_CRITICAL_THRESHOLD, default 95).")
    var memoryCritical: String?
    @Option(help: "Network RX warning threshold, bytes/s (WAKEDOCK_NETWORK_RX_WARNING_THRESHOLD, default 104857600).")
    var networkRxWarning: String?
    @Option(help: "Network RX critical threshold, bytes/s (WAKEDOCK_NETWORK_RX_CRITICAL_THRESHOLD, default 524288000).")
    var networkRxCritical: String?
    @Option(help: "Network TX warning threshold, bytes/s (WAKEDOCK_NETWORK_TX_WARNING_THRESHOLD, default 104857600).")
    var networkTxWarning: String?
    @Option(help: "Network TX critical threshold, bytes/s (WAKEDOCK_NETWORK_TX_CRITICAL_THRESHOLD, default 524288000).")
    var networkTxCritical: String?
    @Option(help: "Seconds before an alert that persists is raised again (WAKEDOCK_ALERT_COOLDOWN, default 300).")
    var alertCooldown: String?
    @Option(help: "An alert ends below threshold × (1 − this) (WAKEDOCK_ALERT_HYSTERESIS, default 0.1).")
    var alertHysteresis: String?
    @Option(help: "Seconds the value must stay below that before the alert ends (WAKEDOCK_ALERT_CLEAR_DELAY, default 5).")
    var alertClearDelay: String?
    @Option(help: "Comma-separated URLs that receive every alert as a JSON POST (WAKEDOCK_WEBHOOK_URLS).")
    var webhookUrl: String?
    @Option(help: "Samples kept in memory per container (WAKEDOCK_MEMORY_SAMPLES, default 720).")
    var memorySamples: String?
    @Option(help: "Seconds a client has to send a request head, and an idle connection's life (WAKEDOCK_HTTP_HEADER_TIMEOUT, default 10).")
    var httpHeaderTimeout: String?
    @Option(help: "Seconds a client has to send a request body (WAKEDOCK_HTTP_BODY_TIMEOUT, default 20).")
    var httpBodyTimeout: String?

    func run() async throws {
        let settings = try common.loadSettings(extra: [
            "WAKEDOCK_METRICS_INTERVAL": interval, "WAKEDOCK_METRICS_RETENTION_DAYS": retentionDays,
            "WAKEDOCK_METRICS_STORAGE_PATH": storage, "WAKEDOCK_PERSIST_INTERVAL": persistInterval,
            "WAKEDOCK_METRICS_MAX_FILE_BYTES": maxFileBytes,
            "WAKEDOCK_HOST": host, "WAKEDOCK_PORT": port, "WAKEDOCK_WS_MAX_CLIENTS": wsMaxClients,
            "WAKEDOCK_WS_PING_INTERVAL": wsPingInterval, "WAKEDOCK_WS_CLIENT_TIMEOUT": wsClientTimeout, "WAKEDOCK_WS_QUEUE_SIZE": wsQueueSize,
            "WAKEDOCK_CPU_WARNING_THRESHOLD": cpuWarning, "WAKEDOCK_CPU_CRITICAL_THRESHOLD": cpuCritical,
            "WAKEDOCK_MEMORY_WARNING_THRESHOLD": memoryWarning, "WAKEDOCK_MEMORY_CRITICAL_THRESHOLD": memoryCritical,
            "WAKEDOCK_MEMORY_SAMPLES": memorySamples,
            "WAKEDOCK_HTTP_HEADER_TIMEOUT": httpHeaderTimeout, "WAKEDOCK_HTTP_BODY_TIMEOUT": httpBodyTimeout,
            "WAKEDOCK_NETWORK_RX_WARNING_THRESHOLD": networkRxWarning, "WAKEDOCK_NETWORK_RX_CRITICAL_THRESHOLD": networkRxCritical,
            "WAKEDOCK_NETWORK_TX_WARNING_THRESHOLD": networkTxWarning, "WAKEDOCK_NETWORK_TX_CRITICAL_THRESHOLD": networkTxCritical,
            "WAKEDOCK_ALERT_COOLDOWN": alertCooldown, "WAKEDOCK_ALERT_HYSTERESIS": alertHysteresis,
            "WAKEDOCK_ALERT_CLEAR_DELAY": alertClearDelay,
            "WAKEDOCK_WEBHOOK_URLS": webhookUrl,
        ])
        let (logger, logTarget, logReason) = LoggingSetup.bootstrap(
            level: settings.logLevel, target: settings.logTarget, environment: ProcessInfo.processInfo.environment)
        let fileLimit = wd_raise_nofile_limit()
        let engine: Engine
        do {
            engine = try Engine(settings: settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("wakedock-monitor: \(error)\n".utf8))
            throw ExitCode(1)
        }
        logger.info(
            "starting wakedock-monitor",
            metadata: [
                "interval_s": "\(settings.collectionInterval)", "cgroup_mode": "\(engine.layout.mode.rawValue)",
                "cgroup_root": "\(engine.layout.root)", "discovery": "\(engine.discoveryMode.rawValue)",
                "docker_socket": "\(settings.dockerSocket)", "configured_storage_path": "\(settings.storagePath)",
                "open_files_limit": "\(fileLimit)", "log_target": "\(logTarget.rawValue)", "log_target_reason": "\(logReason)",
                "port": "\(settings.port)", "host": "\(settings.host)", "persist_interval_s": "\(settings.persistenceInterval)",
                "retention_days": "\(settings.retentionDays)", "webhooks": "\(settings.webhookURLs.count)",
            ])
        if engine.discoveryMode == .cgroupScan {
            logger.warning(
                "no Docker socket; discovering containers from the cgroup tree and naming them by id",
                metadata: ["socket": "\(settings.dockerSocket)"])
        }
        let storagePath = StorageDirectory.resolve(
            configured: settings.storagePath, environment: ProcessInfo.processInfo.environment, logger: logger)
        let collectorStatistics = engine.collector.statistics
        let notifier = SystemdNotifier(logger: LoggingSetup.component("systemd", of: logger)) {
            "\(collectorStatistics.monitoredContainers.load(ordering: .relaxed)) containers every \(settings.collectionInterval) s; "
                + "API on \(settings.host):\(settings.port); history in \(storagePath)"
        }
        if notifier.isWatchdogEnabled, Double(notifier.watchdogPingNanos) / 1e9 < settings.collectionInterval {
            logger.warning(
                "the collection interval is longer than half the systemd watchdog: pings will be late",
                metadata: ["interval_s": "\(settings.collectionInterval)", "watchdog_ping_s": "\(Double(notifier.watchdogPingNanos) / 1e9)"])
        }
        let collection = CollectorService(
            collector: engine.collector, interval: settings.intervalDuration, logger: LoggingSetup.component("collector", of: logger),
            onFirstTick: { notifier.firstTickDidRun() }, onLoop: { notifier.collectorLoopDidRun() })
        var defaultThresholds = ThresholdTable.defaults(
            cpu: (settings.cpuWarning, settings.cpuCritical), memory: (settings.memoryWarning, settings.memoryCritical))
        defaultThresholds[.networkRx] = Threshold(warning: settings.networkRxWarning, critical: settings.networkRxCritical)
        defaultThresholds[.networkTx] = Threshold(warning: settings.networkTxWarning, critical: settings.networkTxCritical)
        let thresholds = ThresholdTable(defaultThresholds)
        // Thresholds changed through the API survive restarts.
        let thresholdFile = ThresholdFile(directory: storagePath)
        thresholdFile.load(into: thresholds, logger: logger)
        let alerts = AlertLog()
        let evaluator = AlertEvaluator(
            thresholds: thresholds, log: alerts,
            policy: AlertPolicy(
                cooldownSeconds: settings.alertCooldown, hysteresis: settings.alertHysteresis, clearSeconds: settings.alertClearDelay))
        engine.collector.add(sink: evaluator)
        let alertLogger = LoggingSetup.component("alerts", of: logger)
        alerts.addListener { AlertLogLine.log($0, to: alertLogger) }
        let webhooks =
            settings.webhookURLs.isEmpty
            ? nil : WebhookNotifier(urls: settings.webhookURLs, logger: LoggingSetup.component("webhooks", of: logger))
        if let webhooks { alerts.addListener { webhooks.enqueue($0) } }
        let timestampPrecision: @Sendable () -> TimestampPrecision = {
            collection.interval < .seconds(1) ? .milliseconds : .seconds
        }
        let store = JSONLStore(
            directory: storagePath,
            persistInterval: .seconds(saturating: settings.persistenceInterval),
            retentionDays: settings.retentionDays, maxFileBytes: settings.maxFileBytes, precision: timestampPrecision,
            logger: LoggingSetup.component("store", of: logger))
        engine.collector.add(sink: store)
        alerts.addListener { store.persist($0) }
        let discovery = engine.discoveryService(settings: settings, logger: logger)
        let backend = MonitorBackend(
            collection: collection, thresholds: thresholds, alerts: alerts, retentionDays: settings.retentionDays,
            storagePath: storagePath, store: store.statistics, history: store.history, evaluator: evaluator,
            webhooks: webhooks?.statistics, discovery: discovery.state,
            onConfigurationChange: { [persistIntervalIsOwn = settings.persistInterval != nil] interval, retentionDays in
                // Without a persistence interval of its own, persistence follows the collection interval, never
                // under a second (SPEC §7): sub-second collection does not multiply disk use.
                if let interval, !persistIntervalIsOwn { store.setPersistInterval(max(interval, .seconds(1))) }
                if let retentionDays { store.retentionDays.store(retentionDays, ordering: .relaxed) }
            },
            saveThresholds: { changedGlobal in
                do {
                    try thresholdFile.save(thresholds, changedGlobal: changedGlobal)
                    return nil
                } catch {
                    logger.error("cannot save thresholds; the change applies until the next restart", metadata: ["error": "\(error)"])
                    return "\(error)"
                }
            })
        if !["127.0.0.1", "localhost", "::1"].contains(settings.host) {
            logger.warning(
                "listening beyond loopback without authentication: anyone who can reach this port can read and control monitoring",
                metadata: ["host": "\(settings.host)"])
        }
        let serverOptions = ServerOptions(
            host: settings.host, port: settings.port, wsMaxClients: settings.wsMaxClients,
            wsPingInterval: settings.wsPingInterval, wsClientTimeout: settings.wsClientTimeout,
            wsQueueSize: settings.wsQueueSize,
            httpLimits: HTTPGuardLimits(
                headerTimeout: .nanoseconds(Int64(saturating: settings.httpHeaderTimeout * 1e9)),
                bodyTimeout: .nanoseconds(Int64(saturating: settings.httpBodyTimeout * 1e9))))
        let hub = MonitorServer.makeHub(backend: backend, options: serverOptions)
        engine.collector.add(sink: hub)
        let server = MonitorServer.makeApplication(
            backend: backend, hub: hub, options: serverOptions,
            logger: logger,
            onServerRunning: { port in
                logger.notice("HTTP API listening", metadata: ["host": "\(settings.host)", "port": "\(port)"])
                notifier.serverDidBind()
                // Start-up is over a few seconds after the server is up: its code and data pages go back.
                Task.detached {
                    try? await Task.sleep(for: .seconds(5))
                    let released = wd_release_executable_pages()
                    logger.debug("start-up pages of the executable released", metadata: ["bytes_advised": "\(released)"])
                }
            })
        // Shut down in reverse order: the store goes last, so its final flush sees the last tick.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: store)]
        if let webhooks { services.append(.init(service: webhooks)) }
        services += [
            .init(service: collection),
            .init(service: discovery.service),
            .init(service: hub),
            .init(service: server),
            // Last: told of the shutdown first, so STOPPING=1 goes out at once.
            .init(service: notifier),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Options every subcommand that reads containers shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Docker Engine socket (WAKEDOCK_DOCKER_SOCKET, else DOCKER_HOST, else /var/run/docker.sock).")
    var dockerSocket: String?
    @Option(help: "Root of the cgroup hierarchies (WAKEDOCK_CGROUP_ROOT, default /sys/fs/cgroup).")
    var cgroupRoot: String?
    @Option(help: "Root of procfs (WAKEDOCK_PROC_ROOT, default /proc).")
    var procRoot: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (WAKEDOCK_LOG_LEVEL, default info).")
    var logLevel: String?
    @Option(help: "auto (the journal if it is there, else stderr), journal or stderr (WAKEDOCK_LOG_TARGET, default auto).")
    var logTarget: String?

    /// Loads and validates every setting; on a bad one prints one line and exits 78 (EX_CONFIG).
    func loadSettings(extra: [String: String?] = [:]) throws -> Settings {
        var flags: [String: String?] = [
            "WAKEDOCK_DOCKER_SOCKET": dockerSocket, "WAKEDOCK_CGROUP_ROOT": cgroupRoot,
            "WAKEDOCK_PROC_ROOT": procRoot, "WAKEDOCK_LOG_LEVEL": logLevel, "WAKEDOCK_LOG_TARGET": logTarget,
        ]
        flags.merge(extra) { current, _ in current }
        do {
            return try Settings.load(environment: ProcessInfo.processInfo.environment, flags: flags)
        } catch let invalid as Settings.Invalid {
            FileHandle.standardError.write(Data("wakedock-monitor: \(invalid)\n".utf8))
            throw ExitCode(78)
        }
    }
}
