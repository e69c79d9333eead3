import Foundation
import Hummingbird
import MonitorCore
import MonitorRuntime
import NIOCore

/// `GET /statistics`: the original's four sections plus the collector's own health; its collector and
/// WebSocket sections are also in the WebSocket's `status_update`.
struct StatisticsController: Sendable {
    let runtime: MonitoringRuntime
    let statistics: ServerStatistics
    let options: ServerOptions

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("statistics", use: show)
        return routes
    }

    @Sendable func show(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let performance = runtime.performanceSummary()
        let alerts = runtime.alertSummary()
        let mb = 1024.0 * 1024.0
        let requests = statistics.requests
        let count = requests.count.load(ordering: .relaxed)
        let body = StatisticsJSON(
            collector: collectorStatistics(),
            websocket: webSocketStatistics(),
            alerts: .init(
                total_last_24h: alerts.lastDay, last_hour: alerts.lastHour,
                by_level: Dictionary(uniqueKeysWithValues: alerts.lastDayByLevel.map { ($0.key.rawValue, $0.value) }),
                active: alerts.active, raised: alerts.raised, resolved: alerts.resolved,
                webhooks: runtime.webhooks.map { w in
                    .init(
                        delivered: w.delivered.load(ordering: .relaxed), failed: w.failed.load(ordering: .relaxed),
                        retries: w.retries.load(ordering: .relaxed), dropped: w.dropped.load(ordering: .relaxed),
                        last_error: w.lastError.withLock { $0 })
                }),
            performance: .init(
                avg_cpu_percent: Self.rounded(performance.averageCPUPercent, decimals: 2),
                avg_memory_percent: Self.rounded(performance.averageMemoryPercent, decimals: 2),
                total_network_rx_mb: Self.rounded(performance.networkRxBytes / mb, decimals: 3),
                total_network_tx_mb: Self.rounded(performance.networkTxBytes / mb, decimals: 3),
                metrics_count_last_hour: performance.samplesLastHour, requests: count,
                mean_request_latency_ms: count == 0 ? 0 : Double(requests.totalNanos.load(ordering: .relaxed)) / Double(count) / 1e6,
                refused_malformed: requests.malformed.load(ordering: .relaxed),
                refused_too_large: requests.tooLarge.load(ordering: .relaxed),
                timed_out_connections: requests.timedOut.load(ordering: .relaxed),
                busy_rejections: requests.busy.load(ordering: .relaxed)))
        return Response.json(ByteBuffer(data: try encodeJSON(body)))
    }

    private static func rounded(_ value: Double, decimals: Int) -> Double {
        let scale = pow(10.0, Double(decimals))
        return (value * scale).rounded() / scale
    }

    /// The collector section: status, thresholds and the tick's health (also the original's `collector_stats`
    /// in `status_update` pushes).
    func collectorStatistics() -> StatisticsJSON.Collector {
        let stats = runtime.collection.statistics
        let ticks = stats.ticks.load(ordering: .relaxed)
        let samples = stats.samples.load(ordering: .relaxed)
        let failed = stats.failedSamples.load(ordering: .relaxed)
        return .init(
            status: StatusController(runtime: runtime, statistics: statistics, options: options).monitoringStatus(),
            thresholds: ThresholdsController(runtime: runtime).thresholdsJSON(),
            health: .init(
                ticks: ticks, missed_ticks: stats.missedTicks.load(ordering: .relaxed), samples_collected: samples,
                failed_samples: failed, read_errors: stats.readErrors.load(ordering: .relaxed),
                vanished_containers: stats.vanishedContainers.load(ordering: .relaxed),
                host_network_containers: stats.hostNetworkContainers.load(ordering: .relaxed),
                collection_success_rate: samples + failed == 0 ? 1 : Double(samples) / Double(samples + failed),
                mean_tick_ms: ticks == 0 ? 0 : Double(stats.totalTickNanos.load(ordering: .relaxed)) / Double(ticks) / 1e6,
                max_tick_ms: Double(stats.maxTickNanos.load(ordering: .relaxed)) / 1e6,
                // A bucket's upper bound can exceed the slowest tick seen: never report a p99 above the max.
                p99_tick_ms: Double(min(stats.tickDurations.withLock { $0.quantile(0.99) }, stats.maxTickNanos.load(ordering: .relaxed))) / 1e6,
                last_tick_ms: Double(stats.lastTickNanos.load(ordering: .relaxed)) / 1e6,
                rss_bytes: ProcessResources.residentSetBytes()))
    }

    /// The WebSocket section (also the original's `websocket_stats`).
    func webSocketStatistics() -> StatisticsJSON.WebSocket {
        let ws = statistics.websocket
        return .init(
            is_running: true, active_connections: ws.activeConnections.load(ordering: .relaxed),
            total_connections: ws.totalConnections.load(ordering: .relaxed),
            messages_sent: ws.messagesSent.load(ordering: .relaxed), errors: ws.errors.load(ordering: .relaxed),
            max_clients: options.wsMaxClients, ping_interval: options.wsPingInterval.seconds,
            client_timeout: options.wsClientTimeout.seconds, dropped_clients: ws.droppedClients.load(ordering: .relaxed),
            dropped_messages: ws.droppedMessages.load(ordering: .relaxed),
            dropped_ticks: ws.droppedTicks.load(ordering: .relaxed),
            refused_connections: ws.refusedConnections.load(ordering: .relaxed))
    }
}
