import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorHealth
import MonitorRuntime
import NIOCore

/// `GET /status`, `POST /start`, `POST /stop`; and the status document, which is also the data of the
/// WebSocket's `status_update` messages.
struct StatusController: Sendable {
    let runtime: MonitoringRuntime
    let options: ServerOptions

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("status", use: status)
        routes.post("start", use: start)
        routes.post("stop", use: stop)
        return routes
    }

    @Sendable func status(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try Response.encoded(statusDocument(runtime.health.readings(), visibility: context.access.visibility))
    }

    @Sendable func start(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        runtime.setCollecting(true)
        return try Response.message("Monitoring démarré avec succès")
    }

    /// Collection stops; history is still served.
    @Sendable func stop(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        runtime.setCollecting(false)
        return try Response.message("Monitoring arrêté avec succès")
    }

    /// `visibility`: the containers the caller may see, the only ones it is told of.
    func monitoringStatus(_ health: HealthReadings, visibility: ContainerVisibility = .all) -> MonitoringStatusJSON {
        MonitoringStatusJSON(
            is_running: runtime.isCollecting,
            monitored_containers: visibility.isAll
                ? Int(clamping: health.count(CollectorStatistics.Names.monitored))
                : runtime.registry.all(visibleTo: visibility).count,
            collection_interval: runtime.interval.seconds,
            retention_days: runtime.retentionDays,
            storage_path: runtime.storagePath, storage: runtime.history.map { StorageJSON($0.statistics, health) },
            discovery: runtime.discovery.map { DiscoveryJSON(connected: $0.connected, detail: $0.detail) })
    }

    /// The body of `GET /status`, also the data of `status_update` messages.
    func statusDocument(_ health: HealthReadings, visibility: ContainerVisibility = .all) -> StatusJSON {
        typealias WS = WebSocketStatistics.Names
        return StatusJSON(
            monitoring: monitoringStatus(health, visibility: visibility),
            websocket: WebSocketStatusJSON(
                is_running: true, active_connections: Int(clamping: health.count(WS.active)),
                total_connections: Int(clamping: health.count(WS.connections)), messages_sent: Int(clamping: health.count(WS.sent))),
            thresholds: ThresholdsController(runtime: runtime).thresholdsJSON(),
            security: securityStatus())
    }

    func securityStatus() -> SecurityStatusJSON {
        let exposure = ListenExposure(host: options.host, port: options.port, authenticated: options.tokens != nil)
        return SecurityStatusJSON(
            listen: "\(options.host):\(options.port)", loopback_only: exposure.isLoopbackOnly,
            authentication: options.tokens != nil ? "jwt" : "none", warnings: exposure.warning.map { [$0] } ?? [])
    }

    /// The data of `status_update` pushes: the status document with the original backend's keys beside ours
    /// (its `collector_stats` and `websocket_stats` are `statistics`' sections, a superset of the original's).
    func systemStatusDocument(visibility: ContainerVisibility = .all) -> SystemStatusJSON {
        let health = runtime.health.readings()
        let status = statusDocument(health, visibility: visibility)
        let statistics = StatisticsController(runtime: runtime, options: options)
        return SystemStatusJSON(
            monitoring: status.monitoring, websocket: status.websocket, thresholds: status.thresholds,
            monitoring_active: status.monitoring.is_running, monitored_containers: status.monitoring.monitored_containers,
            collector_stats: statistics.collectorStatistics(health, visibility: visibility), websocket_stats: statistics.webSocketStatistics(health),
            security: status.security)
    }
}
