import Logging
import MonitorCore
import MonitorRuntime
import MonitorSecurity
import NIOCore
import ServiceLifecycle
import Synchronization

/// Fans samples, alerts and status out to WebSocket subscribers.
///
/// As a sink it runs on the collector's tick: with no subscriber it returns at once; otherwise it copies the
/// tick's samples into one of a few reused batches (`SampleBatchPool`: no allocation on the tick) and hands it
/// to its own thread (`wakedock-fanout`), so that filtering, encoding and queueing never lengthen the tick. Each sample is encoded
/// once and the same bytes go to every matching client's bounded queue.
public final class WebSocketHub: SampleSink, Service, Sendable {

    let runtime: MonitoringRuntime
    let websocket: WebSocketStatistics
    let options: ServerOptions
    /// The `status_update` data as a caller who sees these containers is told it.
    let statusJSON: @Sendable (ContainerVisibility) -> String
    /// The connected clients, as a list kept whole (a fan-out takes it with a retain, not a copy per tick).
    private let clients = Mutex<[WebSocketClient]>([])
    private let nextClientNumber = Atomic<Int>(0)
    /// Clients with a metrics or system_status subscription; zero means the sink has nothing to do.
    private let interestedClients = Atomic<Int>(0)
    /// If fan-out ever falls behind by this many ticks, the newest are not handed on (counted in
    /// `/statistics` as the WebSocket's `dropped_ticks`) rather than queued without bound.
    private let batches = SampleBatchPool(count: 4)
    private let lastStatusNanos = Atomic<Int64>(Int64.min / 2)
    /// At most one `status_update` a second (less 5 % for jitter).
    static let statusPeriodNanos: Int64 = 950_000_000

    init(
        runtime: MonitoringRuntime, websocket: WebSocketStatistics, options: ServerOptions,
        statusJSON: @escaping @Sendable (ContainerVisibility) -> String
    ) {
        self.runtime = runtime
        self.websocket = websocket
        self.options = options
        self.statusJSON = statusJSON
        runtime.addAlertListener { [weak self] alert in self?.broadcast(alert) }
    }

    // MARK: Clients

    /// Registers a client, or nil when `WS_MAX_CLIENTS` are already connected. Connections call this; so can
    /// in-process subscribers (and the broadcast benchmark).
    public func admit(access: AccessGrant = .unrestricted) -> WebSocketClient? {
        let number = nextClientNumber.add(1, ordering: .relaxed).newValue
        let client = WebSocketClient(
            id: "client_\(number)", queueCapacity: options.wsQueueSize, access: access, statistics: websocket)
        let admitted = clients.withLock { clients -> Bool in
            guard clients.count < options.wsMaxClients else { return false }
            clients.append(client)
            return true
        }
        guard admitted else {
            websocket.refusedConnections.increment()
            return nil
        }
        websocket.activeConnections.increment()
        websocket.totalConnections.increment()
        return client
    }

    public func remove(_ client: WebSocketClient) {
        client.finish()
        let removed = clients.withLock { clients -> Bool in
            guard let i = clients.firstIndex(where: { $0 === client }) else { return false }
            clients.remove(at: i)
            return true
        }
        guard removed else { return }
        websocket.activeConnections.decrement()
        refreshInterest()
    }

    /// Recounts the clients the tick must care about (after a subscription change).
    func refreshInterest() {
        let count = clients.withLock { clients in
            clients.filter { c in c.subscriptions.withLock { $0.metrics != nil || $0.systemStatus } }.count
        }
        interestedClients.store(count, ordering: .relaxed)
    }

    private var snapshot: [WebSocketClient] { clients.withLock { $0 } }

    // MARK: Sink (the collector's tick)

    public func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        guard interestedClients.load(ordering: .relaxed) > 0 else { return }
        guard let batch = batches.fill(from: samples, wallNanos: tick.wallNanos) else {
            websocket.droppedTicks.increment()
            return
        }
        batches.pass(batch)
    }

    // MARK: Fan-out task

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Fan-out on a thread of its own, woken by the tick with no allocation (SampleBatchPool).
                    await withTaskCancellationHandler {
                        await DedicatedThread.run(named: "wakedock-fanout") {
                            while let batch = self.batches.next() {
                                self.fanOut(batch.samples)
                                self.batches.recycle(batch)
                            }
                        }
                    } onCancel: {
                        self.batches.finish()
                    }
                }
                // Status once a second even when no tick brings it: monitoring stopped, or an interval over 1 s.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        self.publishStatusIfDue()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        for client in snapshot { client.finish() }
    }

    /// Sends the status to `system_status` subscribers if no tick did in the last second.
    private func publishStatusIfDue() {
        let now = Int64(clamping: Clocks.monotonicNanos())
        guard now - lastStatusNanos.load(ordering: .relaxed) >= Self.statusPeriodNanos else { return }
        lastStatusNanos.store(now, ordering: .relaxed)
        var statusText: ByteBuffer?
        for client in snapshot where client.subscriptions.withLock({ $0.systemStatus }) {
            guard client.access.visibility.isAll else {
                client.send(statusMessage(for: client.access.visibility))
                continue
            }
            if statusText == nil { statusText = statusMessage() }
            client.send(statusText!)
        }
    }

    /// Fans one tick out to every subscriber now, on the caller's thread (the benchmark's way in; the sink's
    /// batches are fanned out on the hub's own thread).
    public func publish(samples: [Sample]) {
        fanOut(samples)
    }

    private func fanOut<Samples: RandomAccessCollection<Sample>>(_ samples: Samples) where Samples.Index == Int {
        let precision = runtime.timestampPrecision
        // Each sample's message, encoded once for every per-sample subscriber (made on first need: batch
        // subscribers share nothing).
        var encoded: [ByteBuffer?] = []
        // Paced on the monotonic clock (a wall-clock step back must not stop the status), with 5 % slack so a
        // 1 s interval's jitter does not skip every other tick.
        let now = Int64(clamping: Clocks.monotonicNanos())
        let sendStatus = now - lastStatusNanos.load(ordering: .relaxed) >= Self.statusPeriodNanos
        var statusText: ByteBuffer?
        if sendStatus { lastStatusNanos.store(now, ordering: .relaxed) }

        for client in snapshot {
            let subscriptions = client.subscriptions.withLock { $0 }
            if let metrics = subscriptions.metrics {
                let access = client.access
                let matching = samples.indices.lazy.filter { i in
                    let c = samples[i].container
                    return access.visibility.sees(c)
                        && containerMatches(
                            id: c.id, name: c.name, service: c.serviceName, refs: metrics.containerRefs,
                            services: metrics.serviceNames)
                }
                if metrics.batch {
                    let unfiltered = access.visibility.isAll && metrics.containerRefs.isEmpty && metrics.serviceNames.isEmpty
                    let count = unfiltered ? samples.count : matching.count
                    if count > 0 { client.send(Messages.batch(matching.map { samples[$0] }, expectedCount: count, precision: precision)) }
                } else {
                    if encoded.isEmpty { encoded = Array(repeating: nil, count: samples.count) }
                    for i in matching {
                        if encoded[i] == nil { encoded[i] = Messages.sample(samples[i], precision: precision) }
                        client.send(encoded[i]!)
                    }
                }
            }
            if sendStatus && subscriptions.systemStatus {
                if client.access.visibility.isAll {
                    if statusText == nil { statusText = statusMessage() }
                    client.send(statusText!)
                } else {
                    client.send(statusMessage(for: client.access.visibility))  // (rare: tokens limited to some containers)
                }
            }
        }
    }

    func statusMessage(for visibility: ContainerVisibility = .all) -> ByteBuffer {
        Messages.envelope(.statusUpdate) { $0.writeString(self.statusJSON(visibility)) }
    }

    /// Sends an alert (or a resolution) to the `alerts` subscribers whose filters it matches.
    func broadcast(_ alert: AlertRecord) {
        var text: ByteBuffer?
        for client in snapshot {
            guard let filter = client.subscriptions.withLock({ $0.alerts }) else { continue }
            guard alert.matches(levels: filter.levels),
                client.access.visibility.sees(alert),
                containerMatches(
                    id: alert.containerID, name: alert.containerName, service: alert.serviceName,
                    refs: filter.containerRefs, services: filter.serviceNames)
            else { continue }
            if text == nil { text = Messages.alert(alert, precision: runtime.timestampPrecision) }
            client.send(text!)
        }
    }
}
