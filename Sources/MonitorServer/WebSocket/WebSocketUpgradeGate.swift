import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import MonitorCore
import MonitorSecurity
import NIOCore

/// The upgrade decision NIO asks for once a request for the stream's path asks for a WebSocket (SPEC §6):
/// `WebSocketAdmissionHandler` has already admitted it (or answered it with 401, 403 or 429, and NIO never saw
/// it), so this only takes the admitted grant and the HTTP handlers out of the way. Without an admitted grant
/// (another path) it refuses, and Hummingbird's upgrade layer answers 400.
struct WebSocketUpgradeGate: Sendable {
    typealias Decision = ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>

    let connection: WebSocketConnection

    @Sendable func decide(
        _ request: HTTPRequest, _ channel: any Channel, _ logger: Logger
    ) async throws -> Decision {
        let client = channel.remoteAddress.map(MonitorRequestContext.describe) ?? "-"
        // The upgrade goes ahead: the admission's grant is taken, and the HTTP guard leaves before NIO hands on
        // raw frames (on the channel's event loop: this function runs elsewhere).
        let admitted = try await channel.eventLoop.submit { () -> AccessGrant? in
            guard let grant = WebSocketAdmissionHandler.take(channel) else { return nil }
            HTTPGuardHandler.leave(channel)
            return grant
        }.get()
        guard let access = admitted else {
            // Not the stream's path (or, were the admission missing from the pipeline, never unchecked).
            logger.debug("WebSocket upgrade refused", metadata: ["client": "\(client)", "path": "\(request.path ?? "-")"])
            return .dontUpgrade
        }
        var headers: HTTPFields = [:]
        // A browser requires the server to choose one of the subprotocols it offered: `bearer`, whenever offered
        // first (a page may still hold a token when authentication is off).
        if let offered = request.headerFields[.secWebSocketProtocol],
            offered.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == BearerToken.subprotocol
        {
            headers[.secWebSocketProtocol] = BearerToken.subprotocol
        }
        let connection = self.connection
        return .upgrade(headers) { inbound, outbound, _ in
            try await connection.run(inbound: inbound, outbound: outbound, access: access, client: client)
        }
    }
}
