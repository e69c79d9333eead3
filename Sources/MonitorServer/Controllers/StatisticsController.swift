import Foundation
import Hummingbird
import MonitorCore
import MonitorHealth
import MonitorNotifications
import MonitorRuntime
import NIOCore

/// `GET /statistics`: the original's four sections plus the collector's own health; its collector and
/// WebSocket sections are also in the WebSocket's `status_update`.
struct StatisticsController: Sendable {
    let runtime: MonitoringRuntime
    let options: ServerOptions

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("statistics", use: show)
        return routes
    }

    /// Every figure is read from one reading of the health registry (what `/metrics` shows as `wakedock_…`).
    @Sendable func show(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let health = runtime.health.readings()
        // Figures about containers count those the caller may see; the daemon's own (ticks, requests, streams)
        // are the daemon's.
        let visibility = context.access.visibility
        let performance = runtime.performanceSummary(visibility: visibility)
        let alerts = runtime.alertSummary(health, visibility: visibility)
        let mb = 1024.0 * 1024.0
        typealias HTTP = RequestStatistics.Names
        typealias Hooks = WebhookStatistics.Names
        // Every request answered, errors included (Hummingbird's middleware times only those answered without one).
        let requests = health.sum(HTTP.requests)
        let timed = health.sum(HTTP.duration + "_count")
        let body = StatisticsJSON(
            collector: collectorStatistics(health, visibility: visibility),
            websocket: webSocketStatistics(health),
            alerts: .init(
                total_last_24h: alerts.lastDay, last_hour: alerts.lastHour,
                by_level: Dictionary(uniqueKeysWithValues: alerts.lastDayByLevel.map { ($0.key.rawValue, $0.value) }),
                active: alerts.active, raised: alerts.raised, resolved: alerts.resolved,
                webhooks: runtime.webhooks.map { w in
                    .init(
                        delivered: health.count(Hooks.delivered), failed: health.count(Hooks.failed),
                        retries: health.count(Hooks.retries), dropped: health.count(Hooks.dropped),
                        last_error: w.lastError.withLock { $0 })
                }),
            performance: .init(
                avg_cpu_percent: Self.rounded(performance.averageCPUPercent, decimals: 2),
                avg_memory_percent: Self.rounded(performance.averageMemoryPercent, decimals: 2),
                total_network_rx_mb: Self.rounded(performance.networkRxBytes / mb, decimals: 3),
                total_network_tx_mb: Self.rounded(performance.networkTxBytes / mb, decimals: 3),
                metrics_count_last_hour: performance.samplesLastHour, requests: UInt64(exactly: requests.rounded()) ?? 0,
                mean_request_latency_ms: timed == 0 ? 0 : health.sum(HTTP.duration + "_sum") / timed * 1e3,
                refused_malformed: Int(clamping: health.count(HTTP.refused, labels: ["reason": "malformed"])),
                refused_too_large: Int(clamping: health.count(HTTP.refused, labels: ["reason": "too_large"])),
                timed_out_connections: Int(clamping: health.count(HTTP.timedOut)),
                busy_rejections: Int(clamping: health.count(HTTP.refused, labels: ["reason": "busy"]))))
        return Response.json(ByteBuffer(data: try encodeJSON(body)))
    }

    private static func rounded(_ value: Double, decimals: Int) -> Double {
        let scale = pow(10.0, Double(decimals))
        return (value * scale).rounded() / scale
    }

    /// The collector section: status, thresholds and the tick's health (also the original's `collector_stats`
    /// in `status_update` pushes).
    func collectorStatistics(_ health: HealthReadings, visibility: ContainerVisibility = .all) -> StatisticsJSON.Collector {
        typealias N = CollectorStatistics.Names
        let ticks = health.count(N.tickDuration + "_count")
        let samples = health.count(N.samples)
        let failed = health.count(N.failedSamples)
        let maxSeconds = health.value(N.maxTick)
        return .init(
            status: StatusController(runtime: runtime, options: options).monitoringStatus(health, visibility: visibility),
            thresholds: ThresholdsController(runtime: runtime).thresholdsJSON(),
            health: .init(
                ticks: ticks, missed_ticks: health.count(N.missedTicks), samples_collected: samples,
                failed_samples: failed, read_errors: health.count(N.readErrors),
                vanished_containers: health.count(N.vanished),
                host_network_containers: Int(clamping: health.count(N.hostNetwork)),
                collection_success_rate: samples + failed == 0 ? 1 : Double(samples) / Double(samples + failed),
                mean_tick_ms: ticks == 0 ? 0 : health.value(N.tickDuration + "_sum") / Double(ticks) * 1e3,
                max_tick_ms: maxSeconds * 1e3,
                // Estimated within its histogram bucket, as Prometheus would: never reported above the slowest tick.
                p99_tick_ms: min(health.quantile(0.99, histogram: N.tickDuration) ?? 0, maxSeconds) * 1e3,
                last_tick_ms: health.value(N.lastTick) * 1e3,
                rss_bytes: ProcessResources.residentSetBytes()))
    }

    /// The WebSocket section (also the original's `websocket_stats`).
    func webSocketStatistics(_ health: HealthReadings) -> StatisticsJSON.WebSocket {
        typealias N = WebSocketStatistics.Names
        return .init(
            is_running: true, active_connections: Int(clamping: health.count(N.active)),
            total_connections: Int(clamping: health.count(N.connections)),
            messages_sent: Int(clamping: health.count(N.sent)), errors: Int(clamping: health.count(N.errors)),
            max_clients: options.wsMaxClients, ping_interval: options.wsPingInterval.seconds,
            client_timeout: options.wsClientTimeout.seconds, dropped_clients: Int(clamping: health.count(N.droppedClients)),
            dropped_messages: Int(clamping: health.count(N.droppedMessages)),
            dropped_ticks: Int(clamping: health.count(N.droppedTicks)),
            refused_connections: Int(clamping: health.count(N.refused)))
    }
}
