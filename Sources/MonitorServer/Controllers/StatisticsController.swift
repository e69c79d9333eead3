import Foundation
import Hummingbird
import MonitorCore
import NIOCore

/// `GET /statistics`: the original's four sections plus the collector's own health; its collector and
/// WebSocket sections are also in the WebSocket's `status_update`.
struct StatisticsController: Sendable {
    let backend: MonitorBackend
    let options: ServerOptions

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("statistics", use: show)
        return routes
    }

    @Sendable func show(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        // Performance over the last hour of in-memory samples.
        let hourAgo = Clocks.wallNanos() - 3_600_000_000_000
        var cpuSum = 0.0
        var memorySum = 0.0
        var count = 0
        var rx = 0.0
        var tx = 0.0
        for series in backend.registry.all {
            let recent = series.recent(limit: .max, notBeforeNanos: hourAgo)
            for s in recent {
                cpuSum += s.cpuPercent
                memorySum += s.memoryPercent
            }
            count += recent.count
            if let latest = recent.first {
                rx += Double(latest.networkRxBytes)
                tx += Double(latest.networkTxBytes)
            }
        }
        let mb = 1024.0 * 1024.0
        let dayAgo = Clocks.wallNanos() - 86_400_000_000_000
        let lastDay = backend.alerts.newestFirst(notBeforeNanos: dayAgo, limit: .max) { _ in true }
        var byLevel = ["critical": 0, "warning": 0, "info": 0]
        for alert in lastDay { byLevel[alert.level.rawValue, default: 0] += 1 }
        let requests = backend.requests.count.load(ordering: .relaxed)

        let body = StatisticsJSON(
            collector: collectorStatistics(),
            websocket: webSocketStatistics(),
            alerts: .init(
                total_last_24h: lastDay.count,
                last_hour: lastDay.filter { $0.timestampNanos >= hourAgo }.count, by_level: byLevel,
                active: backend.evaluator?.activeCount ?? 0, raised: backend.evaluator?.raised.load(ordering: .relaxed) ?? 0,
                resolved: backend.evaluator?.resolved.load(ordering: .relaxed) ?? 0,
                webhooks: backend.webhooks.map { w in
                    .init(
                        delivered: w.delivered.load(ordering: .relaxed), failed: w.failed.load(ordering: .relaxed),
                        retries: w.retries.load(ordering: .relaxed), dropped: w.dropped.load(ordering: .relaxed),
                        last_error: w.lastError.withLock { $0 })
                }),
            performance: .init(
                avg_cpu_percent: count == 0 ? 0 : (cpuSum / Double(count) * 100).rounded() / 100,
                avg_memory_percent: count == 0 ? 0 : (memorySum / Double(count) * 100).rounded() / 100,
                total_network_rx_mb: (rx / mb * 1000).rounded() / 1000, total_network_tx_mb: (tx / mb * 1000).rounded() / 1000,
                metrics_count_last_hour: count, requests: requests,
                mean_request_latency_ms: requests == 0
                    ? 0 : Double(backend.requests.totalNanos.load(ordering: .relaxed)) / Double(requests) / 1e6,
                refused_malformed: backend.requests.malformed.load(ordering: .relaxed),
                refused_too_large: backend.requests.tooLarge.load(ordering: .relaxed),
                timed_out_connections: backend.requests.timedOut.load(ordering: .relaxed),
                busy_rejections: backend.requests.busy.load(ordering: .relaxed)))
        return Response.json(ByteBuffer(data: try encodeJSON(body)))
    }

    /// The collector section: status, thresholds and the tick's health (also the original's `collector_stats`
    /// in `status_update` pushes).
    func collectorStatistics() -> StatisticsJSON.Collector {
        let stats = backend.collection.statistics
        let ticks = stats.ticks.load(ordering: .relaxed)
        let samples = stats.samples.load(ordering: .relaxed)
        let failed = stats.failedSamples.load(ordering: .relaxed)
        return .init(
            status: StatusController(backend: backend, options: options).monitoringStatus(),
            thresholds: ThresholdsController(backend: backend).thresholdsJSON(),
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
                rss_bytes: Self.residentSetBytes()))
    }

    /// The WebSocket section (also the original's `websocket_stats`).
    func webSocketStatistics() -> StatisticsJSON.WebSocket {
        let ws = backend.websocket
        return .init(
            is_running: true, active_connections: ws.activeConnections.load(ordering: .relaxed),
            total_connections: ws.totalConnections.load(ordering: .relaxed),
            messages_sent: ws.messagesSent.load(ordering: .relaxed), errors: ws.errors.load(ordering: .relaxed),
            max_clients: options.wsMaxClients, ping_interval: options.wsPingInterval,
            client_timeout: options.wsClientTimeout, dropped_clients: ws.droppedClients.load(ordering: .relaxed),
            dropped_messages: ws.droppedMessages.load(ordering: .relaxed),
            dropped_ticks: ws.droppedTicks.load(ordering: .relaxed),
            refused_connections: ws.refusedConnections.load(ordering: .relaxed))
    }

    /// Resident set size of this process, from /proc/self/statm.
    static func residentSetBytes() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
