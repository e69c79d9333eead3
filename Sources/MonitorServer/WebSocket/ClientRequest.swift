import Foundation
import MonitorCore

/// What a WebSocket client asks (SPEC §6), decoded once and checked field by field into typed values, each
/// refusal with the original's French message. The message is decoded as `JSONValue`s, not straight into
/// typed fields, so that a wrong type is told apart from a missing field and the refusal names what was sent.
enum ClientRequest: Equatable {
    case ping
    /// Only counts as activity.
    case pong
    case subscribe(StreamType, Subscription)
    case unsubscribe(StreamType)

    enum StreamType: String, CaseIterable {
        case metrics
        case alerts
        case systemStatus = "system_status"
    }

    /// A subscription's filters (empty lists match everything) and, for metrics, batch mode.
    struct Subscription: Equatable {
        var containerRefs: [ContainerReference] = []
        var serviceNames: [String] = []
        var levels: Set<AlertLevel> = []
        var batch = false
        /// The `filters` object as sent, echoed in the acknowledgement.
        var filters: [String: JSONValue] = [:]
    }

    /// A refusal: the text of the `error` message the client gets.
    struct Refusal: Error, Equatable {
        let message: String
    }

    /// Decodes and checks one text frame.
    static func parse(_ text: String) throws(Refusal) -> ClientRequest {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object(let object) = value else {
            throw Refusal(message: "Message JSON invalide")
        }
        switch object["action"] {
        case .string("ping"): return .ping
        case .string("pong"): return .pong
        case .string("subscribe"): return .subscribe(try streamType(object), try subscription(object))
        case .string("unsubscribe"): return .unsubscribe(try streamType(object))
        case let action: throw Refusal(message: "Action non reconnue: \((action ?? .null).shown)")
        }
    }

    private static func streamType(_ object: [String: JSONValue]) throws(Refusal) -> StreamType {
        let value = object["stream_type"] ?? .null
        guard case .string(let name) = value, let type = StreamType(rawValue: name) else {
            throw Refusal(message: "Type de flux invalide: \(value.shown)")
        }
        return type
    }

    private static func subscription(_ object: [String: JSONValue]) throws(Refusal) -> Subscription {
        var s = Subscription()
        switch object["filters"] {
        case nil, .null: break
        case .object(let filters): s.filters = filters
        default: throw Refusal(message: "Filtres invalides: filters doit être un objet")
        }
        switch object["batch"] {
        case nil, .null: s.batch = false
        case .bool(let batch): s.batch = batch
        default: throw Refusal(message: "batch doit être un booléen (true ou false)")
        }
        func strings(_ key: String) throws(Refusal) -> [String] {
            switch s.filters[key] {
            case nil: return []
            case .array(let items):
                var out: [String] = []
                for item in items {
                    guard case .string(let text) = item else { throw listsOfStrings }
                    out.append(text)
                }
                return out
            default: throw listsOfStrings
            }
        }
        s.containerRefs = try strings("container_ids").map(ContainerReference.init)
        s.serviceNames = try strings("service_names")
        for name in try strings("alert_levels") {
            guard let level = AlertLevel(rawValue: name) else { throw Refusal(message: "Niveau d'alerte invalide: \(name)") }
            s.levels.insert(level)
        }
        return s
    }

    private static let listsOfStrings = Refusal(
        message: "Filtres invalides: container_ids, service_names et alert_levels sont des listes de chaînes")
}

/// A JSON value as a client sent it.
enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Bool before Double: `true` is not read as 1, nor `1` as true.
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            // Whole numbers as integers (`1`, not `1.0`), as the client wrote them.
            if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(saturating: n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// How a refusal shows a value that is not the expected string: a string as itself, anything else as JSON.
    var shown: String {
        if case .string(let s) = self { return s }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
