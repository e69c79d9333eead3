import MonitorHealth

/// What the HTTP layer counts of its own work (the monitoring's figures are the runtime's), into the daemon's
/// health registry: the WebSocket clients and messages, and what the HTTP guard refused. Requests by route and
/// status are counted by Hummingbird's `MetricsMiddleware` into the same registry (`wakedock_http_…`). Shared
/// by the router, the guard and the hub.
public final class ServerStatistics: Sendable {
    public let websocket: WebSocketStatistics
    public let requests: RequestStatistics

    /// `health`: the runtime's registry (`MonitoringRuntime.health`), where `status` and `statistics` read.
    public init(health: HealthRegistry) {
        websocket = WebSocketStatistics(health: health)
        requests = RequestStatistics(health: health)
    }
}

/// WebSocket counters for `status` and `statistics` (`wakedock_websocket_…`).
public final class WebSocketStatistics: Sendable {
    public let activeConnections: HealthGauge
    public let totalConnections: HealthCounter
    public let messagesSent: HealthCounter
    public let errors: HealthCounter
    /// Clients closed because their queue filled (slow or stuck readers).
    public let droppedClients: HealthCounter
    /// Messages not delivered because a client's queue was full.
    public let droppedMessages: HealthCounter
    /// Ticks not fanned out at all because the hub's thread was behind (every batch still held).
    public let droppedTicks: HealthCounter
    public let refusedConnections: HealthCounter

    init(health: HealthRegistry) {
        activeConnections = health.gauge(Names.active, help: "WebSocket clients connected")
        totalConnections = health.counter(Names.connections, help: "WebSocket clients accepted since start")
        messagesSent = health.counter(Names.sent, help: "WebSocket messages sent")
        errors = health.counter(Names.errors, help: "WebSocket connections that ended in an error")
        droppedClients = health.counter(Names.droppedClients, help: "WebSocket clients closed because their queue filled")
        droppedMessages = health.counter(Names.droppedMessages, help: "WebSocket messages not delivered because a client's queue was full")
        droppedTicks = health.counter(Names.droppedTicks, help: "Ticks not fanned out because the hub was behind")
        refusedConnections = health.counter(Names.refused, help: "WebSocket connections refused (client limit)")
    }

    public enum Names {
        public static let active = "wakedock_websocket_clients"
        public static let connections = "wakedock_websocket_connections_total"
        public static let sent = "wakedock_websocket_messages_sent_total"
        public static let errors = "wakedock_websocket_errors_total"
        public static let droppedClients = "wakedock_websocket_dropped_clients_total"
        public static let droppedMessages = "wakedock_websocket_dropped_messages_total"
        public static let droppedTicks = "wakedock_websocket_dropped_ticks_total"
        public static let refused = "wakedock_websocket_refused_connections_total"
    }
}

/// What the HTTP guard refused or cut, and the heavy queries turned away (`wakedock_http_…`).
public final class RequestStatistics: Sendable {
    /// Requests the HTTP parser refused (400, 431, 501, 505).
    public let malformed: HealthCounter
    /// Bodies over the limit (413).
    public let tooLarge: HealthCounter
    /// Connections closed for a head, body or write that did not come in time.
    public let timedOut: HealthCounter
    /// Heavy queries refused because enough were already running (429).
    public let busy: HealthCounter

    init(health: HealthRegistry) {
        malformed = health.counter(Names.refused, help: Names.refusedHelp, labels: [("reason", "malformed")])
        tooLarge = health.counter(Names.refused, help: Names.refusedHelp, labels: [("reason", "too_large")])
        busy = health.counter(Names.refused, help: Names.refusedHelp, labels: [("reason", "busy")])
        timedOut = health.counter(Names.timedOut, help: "HTTP connections closed for a head, body or write that did not come in time")
    }

    public enum Names {
        public static let refused = "wakedock_http_refused_total"
        static let refusedHelp = "HTTP requests refused before a route answered, by reason"
        public static let timedOut = "wakedock_http_timed_out_connections_total"
        /// Counted by Hummingbird's `MetricsMiddleware` through `HealthRegistry.metricsFactory`.
        public static let requests = SwiftMetricsNames.httpRequests
        public static let duration = SwiftMetricsNames.httpRequestDuration
    }
}
