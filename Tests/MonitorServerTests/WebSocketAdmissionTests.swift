import Foundation
import Logging
import MonitorSecurity
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import MonitorServer

/// `WebSocketAdmissionHandler` on a testing channel: a refused upgrade request is answered as SPEC §4 says and
/// never reaches NIO's upgrader, an admitted one passes on with its grant, anything else passes untouched
/// (`Tests/e2e/test_security.py` does it over real sockets against the binary).
@Suite struct WebSocketAdmissionTests {
    static func admission(tokens: TokenVerifier?, connectionsPerSecond: Double? = nil) -> WebSocketAdmission {
        WebSocketAdmission(
            tokens: tokens, audit: AuditTrail(logger: Logger(label: "test"), store: nil),
            connections: connectionsPerSecond.map { RateLimiter(rate: $0, burst: $0) })
    }

    static func channel(_ admission: WebSocketAdmission) async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel()
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(WebSocketAdmissionHandler(admission: admission, logger: Logger(label: "test")))
        }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000))
        return channel
    }

    static func channel(tokens: TokenVerifier?) async throws -> NIOAsyncTestingChannel {
        try await channel(admission(tokens: tokens))
    }

    static func verifier() async throws -> TokenVerifier {
        try await TokenVerifier(configuration: TokenConfiguration(secret: AccessTests.secret))
    }

    static func upgrade(_ uri: String = MonitorServer.webSocketPath, _ extra: [(String, String)] = []) -> HTTPRequestHead {
        HTTPRequestHead(
            version: .http1_1, method: .GET, uri: uri,
            headers: HTTPHeaders([("Host", "x"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
                                  ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")] + extra))
    }

    /// The answer written on the channel: its head and its body's text.
    static func answer(_ channel: NIOAsyncTestingChannel) async throws -> (HTTPResponseHead, String) {
        guard case .head(let head) = try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self) else {
            Issue.record("no response head first")
            throw CancellationError()
        }
        guard case .body(.byteBuffer(let body)) = try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self) else {
            Issue.record("no body")
            throw CancellationError()
        }
        guard case .end = try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self) else {
            Issue.record("no end")
            throw CancellationError()
        }
        return (head, String(buffer: body))
    }

    @Test func anUpgradeWithoutATokenGets401AndNeverReachesTheUpgrader() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
        try await channel.writeInbound(HTTPServerRequestPart.end(nil))
        let (head, body) = try await Self.answer(channel)
        #expect(head.status == .unauthorized)
        #expect(head.headers["www-authenticate"].first?.hasPrefix("Bearer") == true)
        #expect(head.headers["connection"] == ["close"])
        #expect(body == #"{"error":"unauthorized","detail":"Authentification requise"}"#)
        #expect(try await channel.readInbound(as: HTTPServerRequestPart.self) == nil)
        try await channel.closeFuture.get()
        #expect(try await channel.eventLoop.submit { WebSocketAdmissionHandler.take(channel) }.get() == nil)
    }

    @Test func aTokenWithoutTheReadScopeGets403() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        let token = try await TokenMinter.mint(.init(subject: "s", scopes: [.scrape], lifetime: .seconds(60)), secret: AccessTests.secret)
        try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade("\(MonitorServer.webSocketPath)?token=\(token)")))
        let (head, body) = try await Self.answer(channel)
        #expect(head.status == .forbidden)
        #expect(body == #"{"error":"forbidden","detail":"Permission insuffisante"}"#)
    }

    @Test func anAdmittedUpgradePassesOnWithItsGrant() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        let token = try await TokenMinter.mint(.init(subject: "reader", scopes: [.read], lifetime: .seconds(60)), secret: AccessTests.secret)
        try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade(MonitorServer.webSocketPath, [("Authorization", "Bearer \(token)")])))
        try await channel.writeInbound(HTTPServerRequestPart.end(nil))
        // Held while deciding, then passed on in order.
        var parts: [HTTPServerRequestPart] = []
        while parts.count < 2 {
            if let part = try await channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) } else { await Task.yield() }
        }
        guard case .head(let head) = parts[0], case .end = parts[1] else {
            Issue.record("parts out of order: \(parts)")
            return
        }
        #expect(head.uri == MonitorServer.webSocketPath)
        let grant = try await channel.eventLoop.submit { WebSocketAdmissionHandler.take(channel) }.get()
        #expect(grant?.subject == "reader")
        // Taken once: the handler has left the pipeline.
        #expect(try await channel.eventLoop.submit { WebSocketAdmissionHandler.take(channel) }.get() == nil)
    }

    @Test func otherFirstRequestsPassUntouchedAndTheHandlerLeaves() async throws {
        let channel = try await Self.channel(tokens: try await Self.verifier())
        let plain = HTTPRequestHead(version: .http1_1, method: .GET, uri: MonitorServer.webSocketPath, headers: ["Host": "x"])
        try await channel.writeInbound(HTTPServerRequestPart.head(plain))
        #expect(try await channel.readInbound(as: HTTPServerRequestPart.self) == .head(plain))
        // Later requests are the routes' business, upgrade or not.
        try await channel.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
        #expect(try await channel.readInbound(as: HTTPServerRequestPart.self) == .head(Self.upgrade()))
        #expect(try await channel.eventLoop.submit { WebSocketAdmissionHandler.take(channel) }.get() == nil)
    }

    @Test func tooManyNewConnectionsFromAnAddressGet429WithRetryAfter() async throws {
        let admission = Self.admission(tokens: nil, connectionsPerSecond: 1)
        let first = try await Self.channel(admission)
        try await first.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
        while try await first.readInbound(as: HTTPServerRequestPart.self) == nil { await Task.yield() }
        #expect(try await first.eventLoop.submit { WebSocketAdmissionHandler.take(first)?.isAuthenticated }.get() == false)
        // The same address again within the second: over its rate of new connections.
        let second = try await Self.channel(admission)
        try await second.writeInbound(HTTPServerRequestPart.head(Self.upgrade()))
        let (head, body) = try await Self.answer(second)
        #expect(head.status == .tooManyRequests)
        #expect(head.headers["retry-after"].first.flatMap(Int.init) == 1)
        #expect(body == #"{"error":"rate_limited","detail":"Trop de requêtes"}"#)
    }
}
