import HTTPTypes
import Logging
import MonitorCore
import MonitorSecurity

/// Whether a WebSocket upgrade request may become a stream (SPEC §6, §10), decided before NIO's upgrader sees
/// it so that a refusal is an answer of SPEC §4 like any route's: 429 past the address's rate of new
/// connections, and with authentication on, 401 without a valid token (in `Authorization`, the subprotocol
/// pair `bearer, <token>`, or `?token=`) and 403 without the read scope. Refusals are logged with the client's
/// address and audited; an admitted request carries its grant to the stream.
struct WebSocketAdmission: Sendable {
    let tokens: TokenVerifier?
    let audit: AuditTrail
    /// New connections per address, counted apart from requests.
    let connections: RateLimiter?

    func admit(_ fields: HTTPFields, target: String, client: String, logger: Logger) async -> Result<AccessGrant, APIError> {
        let path = MonitorServer.webSocketPath
        func refuse(_ reason: String, _ error: APIError, subject: String = "-") -> Result<AccessGrant, APIError> {
            logger.notice("WebSocket refused", metadata: ["client": "\(client)", "route": "\(path)", "reason": "\(reason)"])
            audit.record(.refused, subject: subject, client: client, method: "GET", route: path, status: error.status.code)
            return .failure(error)
        }
        if let connections, case .limited(let seconds, _) = connections.take(client, nowNanos: Clocks.monotonicNanos()) {
            return refuse("rate limit", .rateLimited(retryAfterSeconds: seconds))
        }
        guard let tokens else { return .success(.unrestricted) }
        guard let token = BearerToken.find(in: fields, path: target, webSocketPath: path) else { return refuse("no token", .unauthorized) }
        switch await tokens.verify(token) {
        case .failure(let reason):
            return refuse(reason.rawValue, .unauthorized)
        case .success(let grant) where !grant.allows(.read):
            return refuse("scope \(AccessScope.read.rawValue) missing", .forbidden, subject: grant.subject)
        case .success(let grant):
            return .success(grant)
        }
    }
}
