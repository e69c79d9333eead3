import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import MonitorCore
import MonitorRuntime
import MonitorSecurity
import NIOCore

/// Where and how the HTTP API listens.
public struct ServerOptions: Sendable {
    public var host: String
    public var port: Int
    public var wsMaxClients: Int
    public var wsPingInterval: Duration
    public var wsClientTimeout: Duration
    /// Messages a client may have waiting before it counts as stuck and is dropped.
    public var wsQueueSize: Int
    /// Time-outs and the body limit enforced on every connection before a route sees it.
    public var httpLimits: HTTPGuardLimits
    /// Checks bearer tokens (SPEC §10); nil: authentication off, every request unrestricted.
    public var tokens: TokenVerifier?
    /// Requests a second per client (a token's subject, else the address), bursts of twice that; 0: no limit.
    /// The same figure bounds each WebSocket's messages and each address's new WebSocket connections.
    public var rateLimit: Double = 0
    /// Origins whose pages may call the API from a browser (CORS); none by default.
    public var corsOrigins: [String] = []
    /// HTTPS and WSS with these (reloadable); nil: plain HTTP.
    public var certificates: TLSCertificates?

    public init(
        host: String, port: Int, wsMaxClients: Int, wsPingInterval: Duration,
        wsClientTimeout: Duration, wsQueueSize: Int = 1024, httpLimits: HTTPGuardLimits = .init(), tokens: TokenVerifier? = nil
    ) {
        self.httpLimits = httpLimits
        self.tokens = tokens
        self.host = host
        self.port = port
        self.wsMaxClients = wsMaxClients
        self.wsPingInterval = wsPingInterval
        self.wsClientTimeout = wsClientTimeout
        self.wsQueueSize = wsQueueSize
    }
}

/// The request context of every route: Hummingbird's basics with our body size limit, the client's address,
/// and what its token grants (`AccessMiddleware`).
public struct MonitorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Everything when authentication is off; else the verified token's grant.
    public var access = AccessGrant.unrestricted
    /// The peer's IP address (or socket path), for refusals in the log and the audit trail.
    public let clientAddress: String

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress.map(Self.describe) ?? "-"
    }

    static func describe(_ address: SocketAddress) -> String {
        address.ipAddress ?? address.pathname ?? "\(address)"
    }
    /// Bodies are small JSON documents: anything larger is a 413 (the HTTP guard refuses it before the route,
    /// this is the route's own check for the same limit).
    public var maxUploadSize: Int { HTTPGuardLimits().maxBodyBytes }
    /// JSON bodies, with SPEC §4's 400 and 422 answers.
    public var requestDecoder: JSONBodyDecoder { JSONBodyDecoder() }
}

/// Builds the HTTP application (a ServiceLifecycle service) serving the API from the backend.
public enum MonitorServer {
    /// The WebSocket hub: add it to the collector as a sink and run it as a service.
    public static func makeHub(runtime: MonitoringRuntime, statistics: ServerStatistics, options: ServerOptions) -> WebSocketHub {
        let status = StatusController(runtime: runtime, options: options)
        return WebSocketHub(runtime: runtime, websocket: statistics.websocket, options: options) { visibility in
            (try? encodeJSON(status.systemStatusDocument(visibility: visibility))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
    }

    public static let webSocketPath = "/api/v1/monitoring/ws"

    public static func makeApplication(
        runtime: MonitoringRuntime, statistics: ServerStatistics, hub: WebSocketHub, options: ServerOptions, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: MonitorRequestContext.self)
        // Requests by route, method and status, and their durations, through swift-metrics into the health registry
        // (`HealthRegistry.metricsFactory`, bootstrapped by `serve`): `wakedock_http_requests_total` and
        // `wakedock_http_request_duration_seconds`, which `statistics` reads back.
        router.add(middleware: MetricsMiddleware())
        let audit = AuditTrail(logger: logger, store: runtime.history)
        // Who may (origins, tokens, scopes), how often (per subject, else per address), and the trail of both.
        let limiter = options.rateLimit > 0 ? RateLimiter(rate: options.rateLimit, burst: 2 * options.rateLimit) : nil
        if !options.corsOrigins.isEmpty {
            router.add(middleware: AllowListCORSMiddleware(origins: Set(options.corsOrigins), audit: audit, limiter: limiter))
        }
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AccessMiddleware(verifier: options.tokens, limiter: limiter, audit: audit))
        router.add(middleware: RateLimitMiddleware(limiter: limiter, audit: audit))
        router.add(middleware: AuditMiddleware(audit: audit))
        // One thread for history answers: the other core stays free for the tick, the API and the streams.
        let heavy = HeavyQueries(threads: 1, maxInFlight: 4, maxStreams: 4, statistics: statistics.requests)
        MonitoringRoutes(runtime: runtime, statistics: statistics, options: options, heavy: heavy).register(on: router)
        let admission = WebSocketAdmission(
            tokens: options.tokens, audit: audit,
            // New WebSocket connections per address: the request rate, counted apart from requests.
            connections: options.rateLimit > 0 ? RateLimiter(rate: options.rateLimit, burst: 2 * options.rateLimit) : nil)
        let gate = WebSocketUpgradeGate(
            connection: WebSocketConnection(hub: hub, logger: logger, messagesPerSecond: options.rateLimit, audit: audit))
        let pingPeriod = options.wsPingInterval
        let limits = options.httpLimits
        let requestStatistics = statistics.requests
        let certificates = options.certificates
        let server = HTTPServerBuilder { responder -> any ServerChildChannel in
            let http = GuardedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder,
                    configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: pingPeriod))),
                    shouldUpgrade: gate.decide),
                limits: limits, statistics: requestStatistics, admission: admission)
            guard let certificates else { return http }
            return ReloadableTLSChannel(inner: http, certificates: certificates)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "wakedock-monitor"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: DemotedUpgradeErrors.wrapping(logger))
    }
}
