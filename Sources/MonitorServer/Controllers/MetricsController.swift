import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// `GET /metrics`, `POST /metrics/query` (rings, then the history files), `GET /metrics/latest` (every
/// container's newest sample: what `stats` reads from a serving daemon) and `GET /metrics/{container_id}/latest`.
struct MetricsController: Sendable {
    let runtime: MonitoringRuntime
    let history: HistoryResponder

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("metrics", use: list)
        routes.post("metrics/query", use: query)
        routes.get("metrics/latest", use: latestOfAll)
        routes.get("metrics/:container_id/latest", use: latest)
        return routes
    }

    @Sendable func list(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try await history.respond(to: request, context: context, asked: .queryParameters, limits: HistoryQuery.metrics, plan: runtime.samplePlan)
    }

    @Sendable func query(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try await history.respond(to: request, context: context, asked: .body, limits: HistoryQuery.metrics, plan: runtime.samplePlan)
    }

    @Sendable func latest(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let ref = context.parameters.get("container_id") ?? ""
        // A container the caller may not see is answered as one that does not exist.
        guard let series = try runtime.container(ref, visibility: context.access.visibility), let latest = series.latest else {
            throw APIError.notFound("Aucune métrique pour le conteneur \(ref)")
        }
        var buffer = ByteBuffer()
        buffer.writeSampleJSON(latest, precision: runtime.timestampPrecision)
        return Response.json(buffer)
    }

    /// Every container's newest sample from the rings, in one answer: `wakedock-monitor stats` reads it
    /// rather than the kernel when a daemon is serving.
    @Sendable func latestOfAll(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let visibility = context.access.visibility
        let samples = runtime.registry.all(visibleTo: visibility).compactMap(\.latest)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(samples.count * 1100 + 100)
        buffer.writeStaticString("{")
        buffer.writeJSONKey("collecting")
        buffer.writeStaticString(runtime.isCollecting ? "true" : "false")
        buffer.writeStaticString(",")
        buffer.writeJSONKey("collection_interval")
        buffer.writeJSONDouble(runtime.interval.seconds, decimals: 3)
        buffer.writeStaticString(",")
        buffer.writeJSONKey("samples")
        buffer.writeSamplesArray(samples, precision: .milliseconds)
        buffer.writeStaticString("}")
        return Response.json(buffer)
    }
}
