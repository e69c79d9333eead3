import Foundation
import HummingbirdWebSocket
import Logging
import MonitorCore
import MonitorRuntime
import MonitorSecurity
import NIOCore
import NIOWebSocket

/// One WebSocket connection (SPEC §6): greeting, client requests, the writer that drains the client's queue,
/// server pings and the idle timeout. Bad frames get an `error` message; the connection stays open.
struct WebSocketConnection {
    let hub: WebSocketHub
    let logger: Logger
    /// Each connection's messages a second (bursts of twice that); 0: no limit. Over it, a message is answered
    /// with an error and not acted on.
    var messagesPerSecond: Double = 0
    /// Where authenticated subscriptions are recorded.
    var audit: AuditTrail? = nil

    static let streamTypes = ClientRequest.StreamType.allCases.map(\.rawValue)

    /// Rethrows what ended the inbound stream, so that the WebSocket layer closes with the matching code (a
    /// message over the limit, even in fragments, is closed with 1009).
    /// `client`: the peer's address, for the audit trail.
    func run(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, access: AccessGrant = .unrestricted, client address: String = "-"
    ) async throws {
        guard let client = hub.admit(access: access) else {
            try? await outbound.close(.policyViolation, reason: "Trop de connexions")
            return
        }
        defer { hub.remove(client) }
        client.send(
            Messages.envelope(.statusUpdate) { b in
                b.writeStaticString("{\"status\":\"connected\",\"client_id\":")
                b.writeJSONString(client.id)
                b.writeStaticString(",\"available_streams\":")
                Messages.stringArray(Self.streamTypes, into: &b)
                b.writeStaticString("}")
            })
        let statistics = hub.websocket
        let options = hub.options
        let messageLimit = messagesPerSecond > 0 ? RateLimiter(rate: messagesPerSecond, burst: 2 * messagesPerSecond, maxClients: 1) : nil
        let failure: (any Error)? = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in client.stream {
                    // A text frame of the message's bytes as they are (`.text` takes a String and copies it).
                    do { try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: message))) } catch { break }
                    statistics.messagesSent.increment()
                }
                if client.droppedForSlowness.load(ordering: .relaxed) {
                    try? await outbound.close(.policyViolation, reason: "Client trop lent")
                }
            }
            group.addTask {
                let timeoutNanos = UInt64(clamping: options.wsClientTimeout.saturatingNanoseconds)
                let pingNanos = UInt64(clamping: options.wsPingInterval.saturatingNanoseconds)
                var lastPing = Clocks.monotonicNanos()
                let step = min(options.wsPingInterval, options.wsClientTimeout, .seconds(1)) / 2
                while !Task.isCancelled {
                    try? await Task.sleep(for: step)
                    let now = Clocks.monotonicNanos()
                    // The token that opened the stream has expired: its reader must come back with a new one.
                    if let expires = access.expiresAtNanos, Clocks.wallNanos() >= expires {
                        client.finish()
                        try? await outbound.close(.policyViolation, reason: "Jeton expiré")
                        return
                    }
                    if now &- client.lastActivityNanos.load(ordering: .relaxed) > timeoutNanos {
                        client.finish()
                        try? await outbound.close(.goingAway, reason: "Inactivité")
                        return
                    }
                    if now &- lastPing >= pingNanos {
                        lastPing = now
                        client.send(Messages.envelope(.ping) { $0.writeStaticString("{}") })
                    }
                }
            }
            var failure: (any Error)?
            do {
                for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                    client.lastActivityNanos.store(Clocks.monotonicNanos(), ordering: .relaxed)
                    if let messageLimit, case .limited = messageLimit.take("", nowNanos: Clocks.monotonicNanos()) {
                        reject("Trop de messages", to: client)
                        continue
                    }
                    switch message {
                    case .text(let text): handle(text, from: client, address: address)
                    case .binary: reject("Message JSON invalide", to: client)
                    }
                }
            } catch {
                logger.debug("websocket closed with an error", metadata: ["client_id": "\(client.id)", "error": "\(error)"])
                failure = error
            }
            client.finish()
            group.cancelAll()
            return failure
        }
        if let failure { throw failure }
    }

    /// The largest client message, whole or in fragments: requests are a few hundred bytes.
    static let maxMessageBytes = 64 * 1024

    private func reject(_ message: String, to client: WebSocketClient) {
        hub.websocket.errors.increment()
        client.send(Messages.error(message))
    }

    /// One client request: subscribe, unsubscribe, ping (or pong, which only counts as activity).
    func handle(_ text: String, from client: WebSocketClient, address: String = "-") {
        let request: ClientRequest
        do {
            request = try ClientRequest.parse(text)
        } catch {
            return reject(error.message, to: client)
        }
        switch request {
        case .ping:
            client.send(
                Messages.envelope(.pong) { b in
                    b.writeStaticString("{\"timestamp\":\"")
                    b.writeRFC3339(nanos: Clocks.wallNanos(), precision: .milliseconds)
                    b.writeStaticString("\"}")
                })
        case .pong:
            return
        case .subscribe(let stream, let subscription):
            subscribe(client, to: stream, subscription)
            if client.access.isAuthenticated {
                audit?.record(
                    .subscribe, subject: client.access.subject, client: address, method: "WS", route: MonitorServer.webSocketPath,
                    status: 200, stream: stream.rawValue)
            }
        case .unsubscribe(let stream):
            client.subscriptions.withLock { s in
                switch stream {
                case .metrics: s.metrics = nil
                case .alerts: s.alerts = nil
                case .systemStatus: s.systemStatus = false
                }
            }
            hub.refreshInterest()
            client.send(ack(stream, subscribed: false, filters: nil))
        }
    }

    private func subscribe(_ client: WebSocketClient, to stream: ClientRequest.StreamType, _ request: ClientRequest.Subscription) {
        client.subscriptions.withLock { s in
            switch stream {
            case .metrics:
                s.metrics = .init(containerRefs: request.containerRefs, serviceNames: request.serviceNames, batch: request.batch)
            case .alerts:
                s.alerts = .init(containerRefs: request.containerRefs, serviceNames: request.serviceNames, levels: request.levels)
            case .systemStatus: s.systemStatus = true
            }
        }
        hub.refreshInterest()
        client.send(ack(stream, subscribed: true, filters: request.filters))
        sendRecent(
            stream.rawValue, to: client, refs: request.containerRefs, services: request.serviceNames, levels: request.levels,
            batch: request.batch)
    }

    /// The acknowledgement, echoing the filters as the client sent them (keys sorted).
    private func ack(_ stream: ClientRequest.StreamType, subscribed: Bool, filters: [String: JSONValue]?) -> ByteBuffer {
        Messages.envelope(.subscriptionAck) { b in
            b.writeStaticString("{\"stream_type\":")
            b.writeJSONString(stream.rawValue)
            b.writeStaticString(subscribed ? ",\"subscribed\":true" : ",\"subscribed\":false")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let filters, let data = try? encoder.encode(filters) {
                b.writeStaticString(",\"filters\":")
                b.writeBytes(data)
            }
            b.writeStaticString("}")
        }
    }

    /// What a new subscriber sees at once: the last few samples per matching container, the alerts of the
    /// last hour, or one status.
    private func sendRecent(_ streamType: String, to client: WebSocketClient, refs: [ContainerReference], services: [String], levels: Set<AlertLevel>, batch: Bool) {
        let runtime = hub.runtime
        let precision = runtime.timestampPrecision
        switch streamType {
        case "metrics":
            var recent: [Sample] = []
            for series in runtime.registry.all
            where client.access.visibility.sees(series.identity)
                && containerMatches(id: series.identity.id, name: series.identity.name, service: series.identity.serviceName, refs: refs, services: services) {
                recent += series.recent(limit: 3).reversed()
            }
            if batch {
                if !recent.isEmpty { client.send(Messages.batch(recent, expectedCount: recent.count, precision: precision)) }
            } else {
                for sample in recent { client.send(Messages.sample(sample, precision: precision)) }
            }
        case "alerts":
            let hourAgo = Clocks.wallNanos() - 3_600_000_000_000
            let alerts = runtime.alerts.newestFirst(notBeforeNanos: hourAgo, limit: 100) { a in
                client.access.visibility.sees(a)
                    && a.matches(levels: levels)
                    && containerMatches(id: a.containerID, name: a.containerName, service: a.serviceName, refs: refs, services: services)
            }
            for alert in alerts.reversed() { client.send(Messages.alert(alert, precision: precision)) }
        default:
            client.send(hub.statusMessage(for: client.access.visibility))
        }
    }
}
