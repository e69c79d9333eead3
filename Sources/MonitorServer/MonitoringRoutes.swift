import Hummingbird
import NIOCore

/// The REST API of SPEC §4: one controller per concern, each a `RouteCollection` of named handlers, mounted
/// under `/api/v1/monitoring`; and the OpenAPI document.
struct MonitoringRoutes {
    let backend: MonitorBackend
    let options: ServerOptions
    /// Where history answers are computed (nil: inline, for the in-process tests).
    var heavy: HeavyQueries? = nil

    static let prefix: RouterPath = "/api/v1/monitoring"

    func register(on router: Router<MonitorRequestContext>) {
        router.get("api/v1/openapi.json") { _, _ in
            Response.json(ByteBuffer(bytes: OpenAPIDocument.bytes))
        }
        let history = HistoryResponder(backend: backend, heavy: heavy)
        router.addRoutes(StatusController(backend: backend, options: options).routes, atPath: Self.prefix)
        router.addRoutes(MetricsController(backend: backend, history: history).routes, atPath: Self.prefix)
        router.addRoutes(AlertsController(backend: backend, history: history).routes, atPath: Self.prefix)
        router.addRoutes(ThresholdsController(backend: backend).routes, atPath: Self.prefix)
        router.addRoutes(ConfigController(backend: backend, options: options).routes, atPath: Self.prefix)
        router.addRoutes(ContainersController(backend: backend).routes, atPath: Self.prefix)
        router.addRoutes(StatisticsController(backend: backend, options: options).routes, atPath: Self.prefix)
    }
}
