import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// `GET /alerts`, `POST /alerts/query` (memory, then the alert files) and `POST /test/alert`.
struct AlertsController: Sendable {
    let runtime: MonitoringRuntime
    let history: HistoryResponder

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("alerts", use: list)
        routes.post("alerts/query", use: query)
        routes.post("test/alert", use: test)
        return routes
    }

    @Sendable func list(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try await history.respond(to: request, context: context, asked: .queryParameters, limits: HistoryQuery.alerts, plan: runtime.alertPlan)
    }

    @Sendable func query(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try await history.respond(to: request, context: context, asked: .body, limits: HistoryQuery.alerts, plan: runtime.alertPlan)
    }

    @Sendable func test(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try testAlert(try await request.decode(as: TestAlertBody.self, context: context), visibility: context.access.visibility)
    }

    private func testAlert(_ body: TestAlertBody, visibility: ContainerVisibility) throws -> Response {
        guard let metric = MetricType(rawValue: body.metric_type) else {
            throw APIError.validation("metric_type inconnu: \(body.metric_type)")
        }
        let levelName = body.level ?? "warning"
        guard let level = AlertLevel(rawValue: levelName) else {
            throw APIError.validation("level doit être info, warning ou critical (reçu: \(levelName))")
        }
        let record = try runtime.raiseTestAlert(
            metric: metric, level: level, value: body.value, container: body.container_id, visibility: visibility)
        var buffer = ByteBuffer()
        buffer.writeStaticString("{\"message\":\"Alerte de test générée\",\"alert\":")
        buffer.writeAlertJSON(record, precision: runtime.timestampPrecision)
        buffer.writeStaticString("}")
        return Response.json(buffer)
    }
}
