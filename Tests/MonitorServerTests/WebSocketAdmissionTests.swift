import Foundation
import HTTPTypes
import Logging
import MonitorSecurity
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import MonitorServer

/// `WebSocketAdmissionHandler` on a testing channel: a refused upgrade request is answered as SPEC §4 says and
/// never reaches NIO's upgrader, an admitted one passes on with its grant, anything else passes untouched; and
/// the upgrade gate lets nothing through without an admitted grant (`Tests/e2e/test_security.py` does it over
/// real sockets against the binary).
@Suite(.timeLimit(.minutes(1))) struct WebSocketAdmissionTests {
    static func admission(tokens: TokenVerifier?, connectionsPerSecond: Double? = nil) -> WebSocketAdmission {
        WebSocketAdmission(
            tokens: tokens, audit: AuditTrail(logger: Logger(label: "test"), store: nil),
            connections: connectionsPerSecond.map { RateLimiter(rate: $0, burst: 1) })
    }

    static func channel(_ admission: WebSocketAdmission, from address: String = "127.0.0.1") async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel()
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(WebSocketAdmissionHandler(admission: admission, logger: Logger(label: "test")))
        }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8000))
        channel.remoteAddress = try SocketAddress(ipAddress: address, port: 40000)
        return channel
    }

    static func channel(tokens: TokenVerifier?) async throws -> NIOAsyncTestingChannel {
        try await channel(admission(tokens: tokens))
    }

    static func verifier() async throws -> TokenVerifier {
        try await TokenVerifier(configuration: TokenConfiguration(secret: AccessTests.secret))
    }

    static func token(_ scopes: [AccessScope], subject: String = "t") async throws -> String {
        try await TokenMinter.mint(.init(subject: subject, scopes: scopes, lifetime: .seconds(60)), secret: AccessTests.secret)
    }

    static func upgrade(
        _ uri: String = MonitorServer.webSocketPath, connection: String = "Upgrade", _ extra: [(String, String)] = []
    ) -> HTTPRequestHead {
        HTTPRequestHead(
            version: .http1_1, method: .GET, uri: uri,
            headers: HTTPHeaders([("Host", "x"), ("Connection", connection), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
                                  ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")] + extra))
    }

    static func take(_ channel: NIOAsyncTestingChannel) async throws -> AccessGrant? {
        try await channel.eventLoop.submit { WebSocketAdmissionHandler.take(channel) }.get()
    }

    /// The answer written on the channel: its head and its body's text.
    static func answer(_ channel: NIOAsyncTestingChannel) async throws -> (HTTPResponseHead, String) {
        let parts = [
            try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self),
            try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self),
            try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self),
        ]
        guard case .head(let head) = parts[0], case .body(.byteBuffer(let body)) = parts[1], case .end = parts[2] else {
            Issue.record("not a head, a body and an end: \(parts)")
            throw CancellationError()
        }
        return (head, String(buffer: body))
    }

    @Test func anUpgradeWithoutATokenGets401AndNeverReachesTheUpgrader() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
        let (head, body) = try await Self.answer(channel)
        #expect(head.status == .unauthorized)
        #expect(head.headers["www-authenticate"].first?.hasPrefix("Bearer") == true)
        #expect(head.headers["connection"] == ["close"])  // on which the guard closes, lingering
        #expect(body == #"{"error":"unauthorized","detail":"Authentification requise"}"#)
        // A slow client's end of the request, after the answer: dropped too (NIO's upgrader would fail on a part
        // without its head).
        try await channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try await channel.readInbound(as: HTTPServerRequestPart.self) == nil)
        #expect(try await Self.take(channel) == nil)  // still there, refused: no grant for the gate
    }

    @Test func aTokenWithoutTheReadScopeGets403() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        let token = try await Self.token([.scrape])
        try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade("\(MonitorServer.webSocketPath)?token=\(token)")))
        let (head, body) = try await Self.answer(channel)
        #expect(head.status == .forbidden)
        #expect(body == #"{"error":"forbidden","detail":"Permission insuffisante"}"#)
    }

    /// What NIO's upgrade handler does with a half-close before it has seen a request: closes the connection.
    final class ClosesOnInputClosed: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed { context.close(promise: nil) }
        }
    }

    @Test func aClientThatHalfClosesAfterTheHandshakeStillGetsItsAnswer() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        try await channel.eventLoop.submit { try channel.pipeline.syncOperations.addHandler(ClosesOnInputClosed()) }.get()
        // The handshake and the end of input in one pass of the event loop, as one read from a socket gives them.
        try await channel.eventLoop.submit {
            channel.pipeline.fireChannelRead(HTTPServerRequestPart.head(Self.upgrade()))
            channel.pipeline.fireChannelRead(HTTPServerRequestPart.end(nil))
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }.get()
        #expect(try await Self.answer(channel).0.status == .unauthorized)
        #expect(try await channel.readInbound(as: HTTPServerRequestPart.self) == nil)  // the held request: dropped
        // The half-close goes on once answered.
        try await channel.closeFuture.get()
    }

    @Test func anAdmittedUpgradePassesOnWithItsGrant() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        let token = try await Self.token([.read], subject: "reader")
        // Firefox's spelling of the Connection header.
        try await channel.writeInbound(
            HTTPServerRequestPart.head(Self.upgrade(connection: "keep-alive, Upgrade", [("Authorization", "Bearer \(token)")])))
        try await channel.writeInbound(HTTPServerRequestPart.end(nil))
        // Held while deciding, then passed on in order.
        guard case .head(let head) = try await channel.waitForInboundWrite(as: HTTPServerRequestPart.self),
            case .end = try await channel.waitForInboundWrite(as: HTTPServerRequestPart.self)
        else {
            Issue.record("parts out of order")
            return
        }
        #expect(head.uri == MonitorServer.webSocketPath)
        #expect(try await Self.take(channel)?.subject == "reader")
        #expect(try await Self.take(channel) == nil)  // taken once: the handler has left the pipeline
    }

    @Test func otherFirstRequestsPassUntouchedAndTheHandlerLeaves() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        let plain = HTTPRequestHead(version: .http1_1, method: .GET, uri: MonitorServer.webSocketPath, headers: ["Host": "x"])
        try await channel.writeInbound(HTTPServerRequestPart.head(plain))
        #expect(try await channel.readInbound(as: HTTPServerRequestPart.self) == .head(plain))
        // Later requests are the routes' business, upgrade or not.
        try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
        #expect(try await channel.readInbound(as: HTTPServerRequestPart.self) == .head(Self.upgrade()))
        #expect(try await Self.take(channel) == nil)
    }

    @Test func whatNIOWouldUpgradeOnTheStreamsPathIsAdmittedFirst() {
        #expect(WebSocketAdmissionHandler.asksForTheStream(Self.upgrade()))
        #expect(WebSocketAdmissionHandler.asksForTheStream(Self.upgrade("\(MonitorServer.webSocketPath)?token=x")))
        // NIO looks at `Upgrade` alone (any case), whatever `Connection` or the method say.
        #expect(WebSocketAdmissionHandler.asksForTheStream(Self.upgrade(connection: "keep-alive")))
        var post = Self.upgrade()
        post.method = .POST
        post.headers.replaceOrAdd(name: "upgrade", value: "WebSocket")
        #expect(WebSocketAdmissionHandler.asksForTheStream(post))
        #expect(!WebSocketAdmissionHandler.asksForTheStream(Self.upgrade("/api/v1/monitoring/status")))
        var h2c = Self.upgrade()
        h2c.headers.replaceOrAdd(name: "upgrade", value: "h2c")
        #expect(!WebSocketAdmissionHandler.asksForTheStream(h2c))
    }

    @Test func tooManyNewConnectionsFromAnAddressGet429WithRetryAfter() async throws {
        // One connection, then one every 100 s: a slow machine cannot refill the bucket within the test.
        let admission = Self.admission(tokens: nil, connectionsPerSecond: 0.01)
        func admitted(from address: String) async throws -> Bool {
            let channel = try await Self.channel(admission, from: address)
            try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
            _ = try await channel.waitForInboundWrite(as: HTTPServerRequestPart.self)
            return try await Self.take(channel) != nil
        }
        #expect(try await admitted(from: "10.0.0.1"))
        // The same address again: over its rate of new connections.
        let again = try await Self.channel(admission, from: "10.0.0.1")
        try await again.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
        let (head, body) = try await Self.answer(again)
        #expect(head.status == .tooManyRequests)
        #expect((99...100).contains(head.headers["retry-after"].first.flatMap(Int.init) ?? 0))
        #expect(body == #"{"error":"rate_limited","detail":"Trop de requêtes"}"#)
        // Another address has its own bucket.
        #expect(try await admitted(from: "10.0.0.2"))
    }

    @Test func theGateUpgradesOnlyWithAnAdmittedGrant() async throws {
        let runtime = TestRuntime.make()
        let hub = MonitorServer.makeHub(runtime: runtime, statistics: ServerStatistics(health: runtime.health), options: TestRuntime.options)
        let gate = WebSocketUpgradeGate(connection: WebSocketConnection(hub: hub, logger: Logger(label: "test")))
        let request = HTTPRequest(method: .get, scheme: nil, authority: "x", path: MonitorServer.webSocketPath)
        func upgrades(_ channel: NIOAsyncTestingChannel) async throws -> Bool {
            if case .upgrade = try await gate.decide(request, channel, Logger(label: "test")) { return true }
            return false
        }
        // No admission in the pipeline, or one still deciding (or refused): no upgrade.
        #expect(try await !upgrades(NIOAsyncTestingChannel()))
        let deciding = try await Self.channel(tokens: try await Self.verifier())
        #expect(try await !upgrades(deciding))
        let admitted = try await Self.channel(tokens: try await Self.verifier())
        try await admitted.writeInbound(HTTPServerRequestPart.head(Self.upgrade(connection: "Upgrade", [("Authorization", "Bearer \(try await Self.token([.read]))")])))
        _ = try await admitted.waitForInboundWrite(as: HTTPServerRequestPart.self)
        #expect(try await upgrades(admitted))
    }
}
