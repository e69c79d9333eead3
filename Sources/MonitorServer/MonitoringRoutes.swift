import Hummingbird
import MonitorRuntime
import NIOCore

/// The REST API of SPEC §4: one controller per concern, each a `RouteCollection` of named handlers, mounted
/// under `/api/v1/monitoring`; and the OpenAPI document.
struct MonitoringRoutes {
    let runtime: MonitoringRuntime
    let statistics: ServerStatistics
    let options: ServerOptions
    /// Where history answers are computed (nil: inline, for the in-process tests).
    var heavy: HeavyQueries? = nil

    static let prefix: RouterPath = "/api/v1/monitoring"

    func register(on router: Router<MonitorRequestContext>) {
        router.get("api/v1/openapi.json") { _, _ in
            Response.json(ByteBuffer(bytes: OpenAPIDocument.bytes))
        }
        // The stream's path without an upgrade (or with one refused: `AccessMiddleware` answers first then).
        router.get("api/v1/monitoring/ws") { _, _ -> Response in
            throw APIError(.upgradeRequired, "upgrade_required", "Connexion WebSocket requise")
        }
        let history = HistoryResponder(runtime: runtime, heavy: heavy)
        router.addRoutes(StatusController(runtime: runtime, options: options).routes, atPath: Self.prefix)
        router.addRoutes(MetricsController(runtime: runtime, history: history).routes, atPath: Self.prefix)
        router.addRoutes(AlertsController(runtime: runtime, history: history).routes, atPath: Self.prefix)
        router.addRoutes(ThresholdsController(runtime: runtime).routes, atPath: Self.prefix)
        router.addRoutes(ConfigController(runtime: runtime).routes, atPath: Self.prefix)
        router.addRoutes(ContainersController(runtime: runtime).routes, atPath: Self.prefix)
        router.addRoutes(StatisticsController(runtime: runtime, options: options).routes, atPath: Self.prefix)
        // Prometheus scrapes `/metrics` at the root; the dashboard is the root itself.
        router.addRoutes(ExpositionController(runtime: runtime).routes)
        router.addRoutes(DashboardController().routes)
    }
}
