import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// `GET /containers`: every monitored container with its newest figures and active alerts.
struct ContainersController: Sendable {
    let runtime: MonitoringRuntime

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("containers", use: list)
        return routes
    }

    /// `GET /containers`, written by hand into one buffer: the dashboard polls it, so it is a hot path.
    @Sendable func list(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let precision = runtime.timestampPrecision
        let mb = 1024.0 * 1024.0
        let visibility = context.access.visibility
        let series = runtime.registry.all(visibleTo: visibility).sorted { $0.identity.name < $1.identity.name }
        var b = ByteBuffer()
        b.reserveCapacity(64 + series.count * 320)
        b.writeStaticString("{\"containers\":[")
        for (i, s) in series.enumerated() {
            let latest = s.latest
            if i > 0 { b.writeStaticString(",") }
            b.writeStaticString("{"); b.writeJSONKey("container_id"); b.writeJSONString(s.identity.id)
            b.writeStaticString(","); b.writeJSONKey("container_name"); b.writeJSONString(s.identity.name)
            b.writeStaticString(","); b.writeJSONKey("service_name"); b.writeJSONStringOrNull(s.identity.serviceName)
            b.writeStaticString(","); b.writeJSONKey("last_update")
            if let latest {
                b.writeStaticString("\""); b.writeRFC3339(nanos: latest.timestampNanos, precision: precision); b.writeStaticString("\"")
            } else {
                b.writeStaticString("null")
            }
            b.writeStaticString(","); b.writeJSONKey("cpu_percent"); b.writeJSONDouble(latest?.cpuPercent ?? 0, decimals: 2)
            b.writeStaticString(","); b.writeJSONKey("memory_percent"); b.writeJSONDouble(latest?.memoryPercent ?? 0, decimals: 2)
            b.writeStaticString(","); b.writeJSONKey("network_rx_mb")
            b.writeJSONDouble(Double(latest?.networkRxBytes ?? 0) / mb, decimals: 3)
            b.writeStaticString(","); b.writeJSONKey("network_tx_mb")
            b.writeJSONDouble(Double(latest?.networkTxBytes ?? 0) / mb, decimals: 3)
            // The byte counters too: the original front-end sums these.
            b.writeStaticString(","); b.writeJSONKey("network_rx_bytes"); b.writeDecimal(latest?.networkRxBytes ?? 0)
            b.writeStaticString(","); b.writeJSONKey("network_tx_bytes"); b.writeDecimal(latest?.networkTxBytes ?? 0)
            b.writeStaticString(","); b.writeJSONKey("active_alerts"); b.writeStaticString("[")
            for (j, alert) in (runtime.evaluator?.active(containerID: s.identity.id) ?? []).enumerated() {
                if j > 0 { b.writeStaticString(",") }
                b.writeStaticString("{"); b.writeJSONKey("metric_type"); b.writeJSONString(alert.metric.rawValue)
                b.writeStaticString(","); b.writeJSONKey("level"); b.writeJSONString(alert.level.rawValue)
                b.writeStaticString(","); b.writeJSONKey("since"); b.writeStaticString("\"")
                b.writeRFC3339(nanos: alert.sinceNanos, precision: precision); b.writeStaticString("\"")
                b.writeStaticString(","); b.writeJSONKey("value"); b.writeJSONDouble(alert.value, decimals: 2)
                b.writeStaticString("}")
            }
            b.writeStaticString("]}")
        }
        b.writeStaticString("]}")
        return Response.json(b)
    }
}
