import CSupport
import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import MonitorHealth
import MonitorNotifications
import MonitorRuntime
import MonitorSecurity
import MonitorServer
import MonitorStore
import MonitorSystemd
import ServiceLifecycle

/// The daemon, assembled from its settings: the engine and its discovery, alerts and their listeners, the store,
/// the WebSocket hub, the HTTP server and systemd's notifier, wired together and returned as one
/// `ServiceGroup` for `serve` to run (tests can build and run one in process). The one place that knows how
/// the parts fit; each part knows nothing of the others beyond what it is handed here.
public enum Daemon {
    /// Builds everything; throws when the cgroups cannot be read (`Engine.StartError`). `logTarget`: where the
    /// process's logging went and why, for the start-up line.
    public static func build(
        settings: Settings, logger: Logger, environment: [String: String], logTarget: (target: LogTarget, reason: String),
        health: HealthRegistry = HealthRegistry(), tokens: TokenVerifier? = nil, certificates: TLSCertificates? = nil
    ) throws -> ServiceGroup {
        let fileLimit = wd_raise_nofile_limit()
        let engine = try Engine(settings: settings, logger: logger, health: health)
        logger.info(
            "starting wakedock-monitor",
            metadata: [
                "interval_s": "\(settings.collectionInterval.secondsText)", "cgroup_mode": "\(engine.layout.mode.rawValue)",
                "cgroup_root": "\(engine.layout.root)", "discovery": "\(engine.discoveryMode.rawValue)",
                "docker_socket": "\(settings.dockerSocket)", "configured_storage_path": "\(settings.storagePath)",
                "open_files_limit": "\(fileLimit)", "log_target": "\(logTarget.target.rawValue)", "log_target_reason": "\(logTarget.reason)",
                "port": "\(settings.port)", "host": "\(settings.host)", "persist_interval_s": "\(settings.persistenceInterval.secondsText)",
                "retention_days": "\(settings.retentionDays)", "webhooks": "\(settings.webhookURLs.count)",
                "authentication": "\(tokens == nil ? "none" : "jwt")", "tls": "\(certificates == nil ? "off" : "on")",
                "rate_limit": "\(settings.rateLimit)",
            ])
        if let skipped = tokens?.skippedKeys, !skipped.isEmpty {
            logger.warning("public keys left out (not for signing, or of an algorithm not taken)", metadata: ["keys": "\(skipped.joined(separator: "; "))"])
        }
        if engine.discoveryMode == .cgroupScan {
            logger.warning(
                "no Docker socket; discovering containers from the cgroup tree and naming them by id",
                metadata: ["socket": "\(settings.dockerSocket)"])
        }
        let storagePath = StorageDirectory.resolve(configured: settings.storagePath, environment: environment, logger: logger)
        let notifier = SystemdNotifier(logger: LoggingSetup.component("systemd", of: logger)) {
            "\(health.readings().count(CollectorStatistics.Names.monitored)) containers every \(settings.collectionInterval.secondsText) s; "
                + "API on \(settings.host):\(settings.port); history in \(storagePath)"
        }
        if notifier.isWatchdogEnabled, Duration.nanoseconds(notifier.watchdogPingNanos) < settings.collectionInterval {
            logger.warning(
                "the collection interval is longer than half the systemd watchdog: pings will be late",
                metadata: [
                    "interval_s": "\(settings.collectionInterval.secondsText)",
                    "watchdog_ping_s": "\(Duration.nanoseconds(notifier.watchdogPingNanos).secondsText)",
                ])
        }
        let collection = CollectorService(
            collector: engine.collector, interval: settings.collectionInterval, logger: LoggingSetup.component("collector", of: logger),
            onFirstTick: { notifier.firstTickDidRun() }, onLoop: { notifier.collectorLoopDidRun() })
        var defaultThresholds = ThresholdTable.defaults(
            cpu: (settings.cpuWarning, settings.cpuCritical), memory: (settings.memoryWarning, settings.memoryCritical))
        defaultThresholds[.networkRx] = Threshold(warning: settings.networkRxWarning, critical: settings.networkRxCritical)
        defaultThresholds[.networkTx] = Threshold(warning: settings.networkTxWarning, critical: settings.networkTxCritical)
        let thresholds = ThresholdTable(defaultThresholds)
        let alerts = AlertLog()
        let evaluator = AlertEvaluator(
            thresholds: thresholds, log: alerts,
            policy: AlertPolicy(
                cooldown: settings.alertCooldown, hysteresis: settings.alertHysteresis, clear: settings.alertClearDelay),
            health: health)
        engine.collector.add(sink: evaluator)
        let webhooks =
            settings.webhookURLs.isEmpty
            ? nil : WebhookNotifier(urls: settings.webhookURLs, logger: LoggingSetup.component("webhooks", of: logger), health: health)
        let timestampPrecision: @Sendable () -> TimestampPrecision = {
            collection.interval < .seconds(1) ? .milliseconds : .seconds
        }
        let store = JSONLStore(
            directory: storagePath,
            persistInterval: settings.persistenceInterval,
            retentionDays: settings.retentionDays, maxFileBytes: settings.maxFileBytes, precision: timestampPrecision,
            logger: LoggingSetup.component("store", of: logger), health: health)
        engine.collector.add(sink: store)
        let discovery = engine.discoveryService(settings: settings, logger: logger)
        let runtime = MonitoringRuntime(
            collection: collection, thresholds: thresholds, alerts: alerts, evaluator: evaluator, history: store,
            storagePath: storagePath, retentionDays: settings.retentionDays, limits: SettingSpec.runtimeLimits,
            persistIntervalIsOwn: settings.persistInterval != nil,
            // Thresholds changed through the API survive restarts.
            thresholdFile: ThresholdFile(directory: storagePath), webhooks: webhooks?.statistics, discovery: discovery.state,
            logger: logger)
        let alertLogger = LoggingSetup.component("alerts", of: logger)
        runtime.addAlertListener { AlertLogLine.log($0, to: alertLogger) }
        if let webhooks { runtime.addAlertListener { webhooks.enqueue($0) } }
        if let warning = ListenExposure(host: settings.host, port: settings.port, authenticated: tokens != nil).warning {
            logger.warning("\(warning)", metadata: ["host": "\(settings.host)"])
        }
        var serverOptions = ServerOptions(
            host: settings.host, port: settings.port, wsMaxClients: settings.wsMaxClients,
            wsPingInterval: settings.wsPingInterval, wsClientTimeout: settings.wsClientTimeout,
            wsQueueSize: settings.wsQueueSize,
            httpLimits: HTTPGuardLimits(
                headerTimeout: settings.httpHeaderTimeout, bodyTimeout: settings.httpBodyTimeout),
            tokens: tokens)
        serverOptions.rateLimit = settings.rateLimit
        serverOptions.corsOrigins = settings.corsOrigins
        serverOptions.certificates = certificates
        let serverStatistics = ServerStatistics(health: health)
        let hub = MonitorServer.makeHub(runtime: runtime, statistics: serverStatistics, options: serverOptions)
        engine.collector.add(sink: hub)
        let server = MonitorServer.makeApplication(
            runtime: runtime, statistics: serverStatistics, hub: hub, options: serverOptions,
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
            .init(service: CertificateReloader(certificates: certificates, logger: logger)),
            // Last: told of the shutdown first, so STOPPING=1 goes out at once.
            .init(service: notifier),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        return group
    }
}
