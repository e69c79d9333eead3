import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import MonitorCore
import MonitorSecurity
import NIOCore

/// Whether a request to the stream's path becomes a WebSocket (SPEC §6, §10): within the address's rate of new
/// connections, and with authentication on, with a token that grants reading (in `Authorization`, the
/// subprotocol pair `bearer, <token>`, or `?token=`). A refused upgrade is answered by Hummingbird's upgrade
/// layer with a 400 of its own, before any route; it is logged and audited here.
struct WebSocketUpgradeGate: Sendable {
    typealias Decision = ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>

    let connection: WebSocketConnection
    let tokens: TokenVerifier?
    let audit: AuditTrail
    let connections: RateLimiter?

    @Sendable func decide(
        _ request: HTTPRequest, _ channel: any Channel, _ logger: Logger
    ) async throws -> Decision {
        let path = MonitorServer.webSocketPath
        guard let target = request.path, target.split(separator: "?").first.map(String.init) == path else { return .dontUpgrade }
        let client = channel.remoteAddress.map(MonitorRequestContext.describe) ?? "-"
        func refuse(_ reason: String, subject: String = "-") -> Decision {
            logger.notice("WebSocket refused", metadata: ["client": "\(client)", "route": "\(path)", "reason": "\(reason)"])
            audit.record(.refused, subject: subject, client: client, method: "GET", route: path, status: 400)
            return .dontUpgrade
        }
        if let connections, case .limited = connections.take(client, nowNanos: Clocks.monotonicNanos()) { return refuse("rate limit") }
        var access = AccessGrant.unrestricted
        var headers: HTTPFields = [:]
        // A browser requires the server to choose one of the subprotocols it offered: `bearer`, whenever offered
        // first (a page may still hold a token when authentication is off).
        if let offered = request.headerFields[.secWebSocketProtocol],
            offered.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == BearerToken.subprotocol
        {
            headers[.secWebSocketProtocol] = BearerToken.subprotocol
        }
        if let tokens {
            guard let token = BearerToken.find(in: request.headerFields, path: target, webSocketPath: path) else { return refuse("no token") }
            switch await tokens.verify(token) {
            case .failure(let reason): return refuse(reason.rawValue)
            case .success(let grant) where !grant.allows(.read): return refuse("scope \(AccessScope.read.rawValue) missing", subject: grant.subject)
            case .success(let grant): access = grant
            }
        }
        // The upgrade goes ahead: the HTTP guard leaves before NIO hands it raw frames (on the channel's event
        // loop: this function may have waited for the token's check elsewhere).
        try await channel.eventLoop.submit { HTTPGuardHandler.leave(channel) }.get()
        let connection = self.connection
        return .upgrade(headers) { [access] inbound, outbound, _ in
            try await connection.run(inbound: inbound, outbound: outbound, access: access, client: client)
        }
    }
}
