import Foundation
import HummingbirdWebSocket
import Logging
import MonitorCore
import NIOCore
import NIOWebSocket

/// One WebSocket connection (SPEC §6): greeting, client requests, the writer that drains the client's queue,
/// server pings and the idle timeout. Bad frames get an `error` message; the connection stays open.
struct WebSocketConnection {
    let hub: WebSocketHub
    let logger: Logger

    static let streamTypes = ["metrics", "alerts", "system_status"]

    /// Rethrows what ended the inbound stream, so that the WebSocket layer closes with the matching code (a
    /// message over the limit, even in fragments, is closed with 1009).
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        guard let client = hub.admit() else {
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
        let statistics = hub.backend.websocket
        let options = hub.options
        let failure: (any Error)? = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in client.stream {
                    // A text frame of the message's bytes as they are (`.text` takes a String and copies it).
                    do { try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: message))) } catch { break }
                    statistics.messagesSent.add(1, ordering: .relaxed)
                }
                if client.droppedForSlowness.load(ordering: .relaxed) {
                    try? await outbound.close(.policyViolation, reason: "Client trop lent")
                }
            }
            group.addTask {
                let timeoutNanos = UInt64(saturating: options.wsClientTimeout * 1e9)
                let pingNanos = UInt64(saturating: options.wsPingInterval * 1e9)
                var lastPing = Clocks.monotonicNanos()
                let step = min(options.wsPingInterval, options.wsClientTimeout, 1) / 2
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(saturating: step))
                    let now = Clocks.monotonicNanos()
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
                    switch message {
                    case .text(let text): handle(text, from: client)
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
        hub.backend.websocket.errors.add(1, ordering: .relaxed)
        client.send(Messages.error(message))
    }

    /// One client request: subscribe, unsubscribe, ping (or pong, which only counts as activity).
    func handle(_ text: String, from client: WebSocketClient) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return reject("Message JSON invalide", to: client)
        }
        let action = object["action"] as? String
        switch action {
        case "ping":
            client.send(
                Messages.envelope(.pong) { b in
                    b.writeStaticString("{\"timestamp\":\"")
                    b.writeRFC3339(nanos: Clocks.wallNanos(), precision: .milliseconds)
                    b.writeStaticString("\"}")
                })
        case "pong":
            return
        case "subscribe", "unsubscribe":
            let streamType = object["stream_type"] as? String ?? "\(object["stream_type"] ?? "null")"
            guard Self.streamTypes.contains(streamType) else {
                return reject("Type de flux invalide: \(streamType)", to: client)
            }
            if action == "subscribe" {
                let filters: [String: Any]
                switch object["filters"] {
                case nil, is NSNull: filters = [:]
                case let value as [String: Any]: filters = value
                default: return reject("Filtres invalides: filters doit être un objet", to: client)
                }
                guard let batch = Self.boolean(object["batch"]) else {
                    return reject("batch doit être un booléen (true ou false)", to: client)
                }
                subscribe(client, to: streamType, filters: filters, batch: batch)
            } else {
                client.subscriptions.withLock { s in
                    switch streamType {
                    case "metrics": s.metrics = nil
                    case "alerts": s.alerts = nil
                    default: s.systemStatus = false
                    }
                }
                hub.refreshInterest()
                client.send(ack(streamType, subscribed: false, filters: nil))
            }
        default:
            reject("Action non reconnue: \(action ?? "\(object["action"] ?? "null")")", to: client)
        }
    }

    /// A JSON boolean, absent (false) or nil when it is anything else: JSONSerialization hands numbers and booleans
    /// over as NSNumber, and `1 as? Bool` would succeed, so the boolean is told apart by its type identity.
    static func boolean(_ value: Any?) -> Bool? {
        switch value {
        case nil, is NSNull: return false
        case let number as NSNumber:
            // Foundation gives booleans their own NSNumber subclass (__NSCFBoolean); plain numbers are NSNumber.
            guard type(of: number) == Self.booleanClass else { return nil }
            return number.boolValue
        default: return nil
        }
    }

    /// The class JSONSerialization uses for `true`/`false`, learnt from the parser itself.
    private static let booleanClass: Any.Type = {
        let parsed = try? JSONSerialization.jsonObject(with: Data("[true]".utf8)) as? [Any]
        return parsed.map { type(of: $0[0]) } ?? Bool.self
    }()

    private func subscribe(_ client: WebSocketClient, to streamType: String, filters: [String: Any], batch: Bool) {
        func strings(_ key: String) -> [String]? {
            guard let value = filters[key] else { return [] }
            return value as? [String]
        }
        guard let refTexts = strings("container_ids"), let services = strings("service_names"), let levelNames = strings("alert_levels") else {
            return reject("Filtres invalides: container_ids, service_names et alert_levels sont des listes de chaînes", to: client)
        }
        var levels = Set<AlertLevel>()
        for name in levelNames {
            guard let level = AlertLevel(rawValue: name) else { return reject("Niveau d'alerte invalide: \(name)", to: client) }
            levels.insert(level)
        }
        let refs = refTexts.map(ContainerReference.init)
        client.subscriptions.withLock { s in
            switch streamType {
            case "metrics": s.metrics = .init(containerRefs: refs, serviceNames: services, batch: batch)
            case "alerts": s.alerts = .init(containerRefs: refs, serviceNames: services, levels: levels)
            default: s.systemStatus = true
            }
        }
        hub.refreshInterest()
        client.send(ack(streamType, subscribed: true, filters: filters))
        sendRecent(streamType, to: client, refs: refs, services: services, levels: levels, batch: batch)
    }

    private func ack(_ streamType: String, subscribed: Bool, filters: [String: Any]?) -> ByteBuffer {
        Messages.envelope(.subscriptionAck) { b in
            b.writeStaticString("{\"stream_type\":")
            b.writeJSONString(streamType)
            b.writeStaticString(subscribed ? ",\"subscribed\":true" : ",\"subscribed\":false")
            if let filters, let data = try? JSONSerialization.data(withJSONObject: filters, options: [.sortedKeys]) {
                b.writeStaticString(",\"filters\":")
                b.writeBytes(data)
            }
            b.writeStaticString("}")
        }
    }

    /// What a new subscriber sees at once: the last few samples per matching container, the alerts of the
    /// last hour, or one status.
    private func sendRecent(_ streamType: String, to client: WebSocketClient, refs: [ContainerReference], services: [String], levels: Set<AlertLevel>, batch: Bool) {
        let backend = hub.backend
        let precision = backend.timestampPrecision
        switch streamType {
        case "metrics":
            var recent: [Sample] = []
            for series in backend.registry.all
            where containerMatches(id: series.identity.id, name: series.identity.name, service: series.identity.serviceName, refs: refs, services: services) {
                recent += series.recent(limit: 3).reversed()
            }
            if batch {
                if !recent.isEmpty { client.send(Messages.batch(recent, expectedCount: recent.count, precision: precision)) }
            } else {
                for sample in recent { client.send(Messages.sample(sample, precision: precision)) }
            }
        case "alerts":
            let hourAgo = Clocks.wallNanos() - 3_600_000_000_000
            let alerts = backend.alerts.newestFirst(notBeforeNanos: hourAgo, limit: 100) { a in
                a.matches(levels: levels)
                    && containerMatches(id: a.containerID, name: a.containerName, service: a.serviceName, refs: refs, services: services)
            }
            for alert in alerts.reversed() { client.send(Messages.alert(alert, precision: precision)) }
        default:
            client.send(hub.statusMessage())
        }
    }
}
