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

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async -> T) async -> T? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}

/// Builds the HTTP application (a ServiceLifecycle service) serving the API from the backend.
public enum MonitorServer {
    /// The WebSocket hub: add it to the collector as a sink and run it as a service.
    public static func makeHub(runtime: MonitoringRuntime, statistics: ServerStatistics, options: ServerOptions) -> WebSocketHub {
        let status = StatusController(runtime: runtime, options: options)
        return WebSocketHub(runtime: runtime, websocket: statistics.websocket, options: options) {
            (try? encodeJSON(status.systemStatusDocument())).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
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
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AccessMiddleware(verifier: options.tokens))
        // One thread for history answers: the other core stays free for the tick, the API and the streams.
        let heavy = HeavyQueries(threads: 1, maxInFlight: 4, maxStreams: 4, statistics: statistics.requests)
        MonitoringRoutes(runtime: runtime, statistics: statistics, options: options, heavy: heavy).register(on: router)
        let connection = WebSocketConnection(hub: hub, logger: logger)
        let tokens = options.tokens
        let pingPeriod = options.wsPingInterval
        let limits = options.httpLimits
        let requestStatistics = statistics.requests
        let server = HTTPServerBuilder { responder in
            GuardedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder,
                    configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: pingPeriod)))
                ) { request, channel, upgradeLogger in
                    guard let path = request.path, path.split(separator: "?").first.map(String.init) == webSocketPath else { return .dontUpgrade }
                    // With authentication on, a request without a token that grants reading is not upgraded:
                    // Hummingbird answers a refused upgrade with a 400 of its own, before any route (logged here).
                    var access = AccessGrant.unrestricted
                    var headers: HTTPFields = [:]
                    if let tokens {
                        let refusal: String
                        switch await BearerToken.find(in: request.headerFields, path: path, webSocketPath: webSocketPath).asyncMap(tokens.verify) {
                        case nil: refusal = "no token"
                        case .failure(let reason)?: refusal = reason.rawValue
                        case .success(let grant)? where !grant.allows(.read): refusal = "scope \(AccessScope.read.rawValue) missing"
                        case .success(let grant)?:
                            access = grant
                            refusal = ""
                        }
                        guard refusal.isEmpty else {
                            upgradeLogger.notice(
                                "WebSocket refused",
                                metadata: [
                                    "client": "\(channel.remoteAddress.map(MonitorRequestContext.describe) ?? "-")",
                                    "route": "\(webSocketPath)", "reason": "\(refusal)",
                                ])
                            return .dontUpgrade
                        }
                        if request.headerFields[.secWebSocketProtocol] != nil { headers[.secWebSocketProtocol] = BearerToken.subprotocol }
                    }
                    // The upgrade goes ahead: the HTTP guard leaves before NIO hands it raw frames (on the channel's
                    // event loop: this closure may have waited for the token's check elsewhere).
                    try await channel.eventLoop.submit { HTTPGuardHandler.leave(channel) }.get()
                    return .upgrade(headers) { [access] inbound, outbound, _ in
                        try await connection.run(inbound: inbound, outbound: outbound, access: access)
                    }
                },
                limits: limits, statistics: requestStatistics)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "wakedock-monitor"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: DemotedUpgradeErrors.wrapping(logger))
    }
}
