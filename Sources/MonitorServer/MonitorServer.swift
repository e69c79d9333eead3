import Hummingbird
import Logging
import MonitorCore
import NIOCore

/// Where and how the HTTP API listens.
public struct ServerOptions: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes: Int
    public var wsMaxClients: Int
    public var wsPingInterval: Double
    public var wsClientTimeout: Double

    public init(host: String, port: Int, maxBodyBytes: Int = 64 * 1024, wsMaxClients: Int, wsPingInterval: Double, wsClientTimeout: Double) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.wsMaxClients = wsMaxClients
        self.wsPingInterval = wsPingInterval
        self.wsClientTimeout = wsClientTimeout
    }
}

/// The request context of every route: Hummingbird's basics with our body size limit.
public struct MonitorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: Source) { coreContext = .init(source: source) }
    /// Bodies are small JSON documents.
    public var maxUploadSize: Int { 64 * 1024 }
}

/// Builds the HTTP application (a ServiceLifecycle service) serving the API from the backend.
public enum MonitorServer {
    public static func makeApplication(
        backend: MonitorBackend, options: ServerOptions, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: MonitorRequestContext.self)
        router.add(middleware: RequestTimingMiddleware(statistics: backend.requests))
        router.add(middleware: ErrorMiddleware())
        MonitoringRoutes(backend: backend, options: options).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "wakedock-monitor"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }
}

/// Counts requests and their latency for `statistics`.
struct RequestTimingMiddleware<Context: RequestContext>: RouterMiddleware {
    let statistics: RequestStatistics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = Clocks.monotonicNanos()
        defer {
            statistics.count.add(1, ordering: .relaxed)
            statistics.totalNanos.add(Clocks.monotonicNanos() &- start, ordering: .relaxed)
        }
        return try await next(request, context)
    }
}
