import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// `GET /status`, `POST /start`, `POST /stop`; and the status document, which is also the data of the
/// WebSocket's `status_update` messages.
struct StatusController: Sendable {
    let runtime: MonitoringRuntime
    let statistics: ServerStatistics
    let options: ServerOptions

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("status", use: status)
        routes.post("start", use: start)
        routes.post("stop", use: stop)
        return routes
    }

    @Sendable func status(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try Response.encoded(statusDocument())
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

    func monitoringStatus() -> MonitoringStatusJSON {
        MonitoringStatusJSON(
            is_running: runtime.isCollecting,
            monitored_containers: runtime.collection.statistics.monitoredContainers.load(ordering: .relaxed),
            collection_interval: runtime.interval.seconds,
            retention_days: runtime.retentionDays,
            storage_path: runtime.storagePath, storage: StorageJSON(runtime.history?.statistics),
            discovery: runtime.discovery.map { DiscoveryJSON(connected: $0.connected, detail: $0.detail) })
    }

    /// The body of `GET /status`, also the data of `status_update` messages.
    func statusDocument() -> StatusJSON {
        let ws = statistics.websocket
        return (
            StatusJSON(
                monitoring: monitoringStatus(),
                websocket: WebSocketStatusJSON(
                    is_running: true, active_connections: ws.activeConnections.load(ordering: .relaxed),
                    total_connections: ws.totalConnections.load(ordering: .relaxed),
                    messages_sent: ws.messagesSent.load(ordering: .relaxed)),
                thresholds: ThresholdsController(runtime: runtime).thresholdsJSON()))
    }

    /// The data of `status_update` pushes: the status document with the original backend's keys beside ours
    /// (its `collector_stats` and `websocket_stats` are `statistics`' sections, a superset of the original's).
    func systemStatusDocument() -> SystemStatusJSON {
        let status = statusDocument()
        let statistics = StatisticsController(runtime: runtime, statistics: statistics, options: options)
        return SystemStatusJSON(
            monitoring: status.monitoring, websocket: status.websocket, thresholds: status.thresholds,
            monitoring_active: status.monitoring.is_running, monitored_containers: status.monitoring.monitored_containers,
            collector_stats: statistics.collectorStatistics(), websocket_stats: statistics.webSocketStatistics())
    }
}
