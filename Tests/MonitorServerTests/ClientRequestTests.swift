import MonitorCore
import Testing

@testable import MonitorServer

/// WebSocket requests (SPEC §6), decoded once into typed values, each refusal with the original's message.
@Suite struct ClientRequestTests {
    static func refusal(_ text: String) -> String? {
        do {
            _ = try ClientRequest.parse(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func typedRequests() throws {
        #expect(try ClientRequest.parse(#"{"action":"ping"}"#) == .ping)
        #expect(try ClientRequest.parse(#"{"action":"unsubscribe","stream_type":"alerts"}"#) == .unsubscribe(.alerts))
        let request = try ClientRequest.parse(
            #"{"action":"subscribe","stream_type":"metrics","batch":true,"filters":{"container_ids":["web","abc1"],"service_names":["db"],"x":1}}"#)
        guard case .subscribe(.metrics, let s) = request else { Issue.record("\(request)"); return }
        #expect(s.batch && s.containerRefs == [ContainerReference("web"), ContainerReference("abc1")] && s.serviceNames == ["db"])
        #expect(s.filters["x"] == .number(1), "the filters are kept as sent, to be echoed")
        let alerts = try ClientRequest.parse(#"{"action":"subscribe","stream_type":"alerts","filters":{"alert_levels":["critical"]}}"#)
        #expect(alerts == .subscribe(.alerts, .init(levels: [.critical], filters: ["alert_levels": .array([.string("critical")])])))
    }

    @Test(arguments: [
        ("{not json", "Message JSON invalide"),
        ("[1]", "Message JSON invalide"),
        (#"{"action":"dance"}"#, "Action non reconnue: dance"),
        (#"{"action":5}"#, "Action non reconnue: 5"),
        ("{}", "Action non reconnue: null"),
        (#"{"action":"subscribe","stream_type":"logs"}"#, "Type de flux invalide: logs"),
        (#"{"action":"subscribe"}"#, "Type de flux invalide: null"),
        (#"{"action":"subscribe","stream_type":"metrics","filters":[]}"#, "Filtres invalides: filters doit être un objet"),
        (#"{"action":"subscribe","stream_type":"metrics","batch":1}"#, "batch doit être un booléen (true ou false)"),
        (#"{"action":"subscribe","stream_type":"metrics","batch":"yes"}"#, "batch doit être un booléen (true ou false)"),
        (#"{"action":"subscribe","stream_type":"metrics","filters":{"container_ids":[1]}}"#,
         "Filtres invalides: container_ids, service_names et alert_levels sont des listes de chaînes"),
        (#"{"action":"subscribe","stream_type":"alerts","filters":{"service_names":"web"}}"#,
         "Filtres invalides: container_ids, service_names et alert_levels sont des listes de chaînes"),
        (#"{"action":"subscribe","stream_type":"alerts","filters":{"alert_levels":["loud"]}}"#, "Niveau d'alerte invalide: loud"),
    ])
    func refusals(text: String, message: String) {
        #expect(Self.refusal(text) == message)
    }

    @Test func aBooleanIsNotANumberNorTheReverse() throws {
        guard case .subscribe(_, let on) = try ClientRequest.parse(#"{"action":"subscribe","stream_type":"metrics","batch":true}"#),
            case .subscribe(_, let off) = try ClientRequest.parse(#"{"action":"subscribe","stream_type":"metrics","batch":false}"#)
        else { Issue.record("not subscriptions"); return }
        #expect(on.batch && !off.batch)
        #expect(Self.refusal(#"{"action":"subscribe","stream_type":"metrics","batch":0}"#) != nil)
    }
}
