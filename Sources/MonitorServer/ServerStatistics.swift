import Synchronization

/// What the HTTP layer counts of its own work (the monitoring's figures are the runtime's): requests and what
/// the HTTP guard refused, and the WebSocket clients and messages. Shared by the router, the guard and the hub.
public final class ServerStatistics: Sendable {
    public let websocket = WebSocketStatistics()
    public let requests = RequestStatistics()
    public init() {}
}

/// WebSocket counters for `status` and `statistics`.
public final class WebSocketStatistics: Sendable {
    public let activeConnections = Atomic<Int>(0)
    public let totalConnections = Atomic<Int>(0)
    public let messagesSent = Atomic<Int>(0)
    public let errors = Atomic<Int>(0)
    /// Clients closed because their queue filled (slow or stuck readers).
    public let droppedClients = Atomic<Int>(0)
    /// Messages not delivered because a client's queue was full.
    public let droppedMessages = Atomic<Int>(0)
    /// Ticks not fanned out at all because the hub's thread was behind (every batch still held).
    public let droppedTicks = Atomic<Int>(0)
    public let refusedConnections = Atomic<Int>(0)
    public init() {}
}

/// Request counts and latency for `statistics`, and what the HTTP guard refused or cut.
public final class RequestStatistics: Sendable {
    public let count = Atomic<UInt64>(0)
    public let totalNanos = Atomic<UInt64>(0)
    /// Requests the HTTP parser refused (400, 431, 501, 505).
    public let malformed = Atomic<Int>(0)
    /// Bodies over the limit (413).
    public let tooLarge = Atomic<Int>(0)
    /// Connections closed for a head, body or write that did not come in time.
    public let timedOut = Atomic<Int>(0)
    /// Heavy queries refused because enough were already running (429).
    public let busy = Atomic<Int>(0)
    public init() {}
}
