import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import NIOCore

/// `GET /alerts`, `POST /alerts/query` (memory, then the alert files) and `POST /test/alert`.
struct AlertsController: Sendable {
    let backend: MonitorBackend
    let history: HistoryResponder

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("alerts", use: list)
        routes.post("alerts/query", use: query)
        routes.post("test/alert", use: test)
        return routes
    }

    @Sendable func list(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try await history.respond(to: request, asked: .queryParameters, limits: HistoryQuery.alerts, plan: plan)
    }

    @Sendable func query(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try await history.respond(to: request, asked: .body(context), limits: HistoryQuery.alerts, plan: plan)
    }

    @Sendable private func plan(_ query: HistoryQuery) throws(APIError) -> HistoryPlan { try backend.alertPlan(query) }

    @Sendable func test(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try testAlert(try await request.decode(as: TestAlertBody.self, context: context))
    }

    private func testAlert(_ body: TestAlertBody) throws -> Response {
        guard let metric = MetricType(rawValue: body.metric_type) else {
            throw APIError.validation("metric_type inconnu: \(body.metric_type)")
        }
        let levelName = body.level ?? "warning"
        guard let level = AlertLevel(rawValue: levelName) else {
            throw APIError.validation("level doit être info, warning ou critical (reçu: \(levelName))")
        }
        // A metric's value is a percentage, a rate, a size or a count: never negative, never beyond what a
        // 64-bit counter holds.
        guard body.value.isFinite, body.value >= 0, body.value <= 1.8e19 else {
            throw APIError.validation("value doit être un nombre fini, positif ou nul (reçu: \(body.value))")
        }
        guard let series = try resolveContainer(body.container_id, in: backend.registry) else {
            throw APIError.notFound("Conteneur introuvable: \(body.container_id)")
        }
        let t = backend.thresholds.threshold(for: metric)
        let threshold = level == .critical ? (t?.critical ?? 0) : (t?.warning ?? 0)
        let record = AlertRecord(
            containerID: series.identity.id, containerName: series.identity.name, serviceName: series.identity.serviceName,
            timestampNanos: Clocks.wallNanos(), level: level, metricType: metric, value: body.value, threshold: threshold,
            message: AlertMessage.text(metric: metric, level: level, value: body.value, threshold: threshold))
        backend.alerts.append(record)
        var buffer = ByteBuffer()
        buffer.writeStaticString("{\"message\":\"Alerte de test générée\",\"alert\":")
        buffer.writeAlertJSON(record, precision: backend.timestampPrecision)
        buffer.writeStaticString("}")
        return Response.json(buffer)
    }
}
