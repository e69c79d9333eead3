import MonitorCore
import MonitorSecurity
import NIOCore
import Synchronization

/// What one client asked for (SPEC §6). Subscribing again replaces a stream's filters.
struct Subscriptions: Sendable {
    struct Metrics: Sendable {
        var containerRefs: [ContainerReference]
        var serviceNames: [String]
        var batch: Bool
    }
    struct Alerts: Sendable {
        var containerRefs: [ContainerReference]
        var serviceNames: [String]
        var levels: Set<AlertLevel>
    }
    var metrics: Metrics?
    var alerts: Alerts?
    var systemStatus = false
}

/// Matches a container against `container_ids` (see `ContainerReference`) and `service_names`; empty lists
/// match everything.
func containerMatches(id: String, name: String, service: String?, refs: [ContainerReference], services: [String]) -> Bool {
    if !refs.isEmpty && !refs.contains(where: { $0.matches(id: id, name: name) }) {
        return false
    }
    if !services.isEmpty {
        guard let service, services.contains(service) else { return false }
    }
    return true
}

/// One connected client: its subscriptions and its bounded outbound queue. The hub enqueues; the
/// connection's writer task drains. A full queue means a slow or stuck reader: the client is dropped
/// (closed with 1008) instead of letting it hold back the tick or the other clients.
public final class WebSocketClient: Sendable {
    public let id: String
    /// The messages queued for this client, in order: each the bytes of one text frame.
    public let stream: AsyncStream<ByteBuffer>
    private let queue: AsyncStream<ByteBuffer>.Continuation
    let subscriptions = Mutex(Subscriptions())
    /// Monotonic time of the last frame received (for the idle timeout).
    let lastActivityNanos = Atomic<UInt64>(Clocks.monotonicNanos())
    /// Set when the client was dropped for falling behind.
    let droppedForSlowness = Atomic<Bool>(false)
    /// What its token lets it see: every stream is narrowed to these containers before its own filters.
    public let access: AccessGrant
    private let statistics: WebSocketStatistics

    init(id: String, queueCapacity: Int, access: AccessGrant, statistics: WebSocketStatistics) {
        self.id = id
        self.access = access
        self.statistics = statistics
        (stream, queue) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(queueCapacity))
    }

    /// Queues a message; on overflow drops the client. Never blocks.
    func send(_ message: ByteBuffer) {
        switch queue.yield(message) {
        case .enqueued, .terminated:
            return
        case .dropped:
            statistics.droppedMessages.increment()
            if !droppedForSlowness.exchange(true, ordering: .relaxed) {
                statistics.droppedClients.increment()
                queue.finish()
            }
        @unknown default:
            return
        }
    }

    func finish() { queue.finish() }

    /// Subscribes to the metrics stream (what a `subscribe` frame does), for in-process subscribers.
    public func subscribeToMetrics(containerRefs: [String] = [], serviceNames: [String] = [], batch: Bool = false, hub: WebSocketHub) {
        subscriptions.withLock {
            $0.metrics = .init(containerRefs: containerRefs.map(ContainerReference.init), serviceNames: serviceNames, batch: batch)
        }
        hub.refreshInterest()
    }
}
