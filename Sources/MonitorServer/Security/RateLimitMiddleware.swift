import Hummingbird
import MonitorCore
import MonitorSecurity

/// Per-client rate limiting (SPEC §10): a token's subject when the request carries a valid one, else the
/// client's address (`AccessMiddleware` charges the address for the requests it refuses). Over the limit: 429
/// with `Retry-After`, logged.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = MonitorRequestContext
    let limiter: RateLimiter?
    var audit: AuditTrail? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let limiter {
            let client = context.access.isAuthenticated ? "subject:" + context.access.subject : "address:" + context.clientAddress
            try Self.charge(limiter, client: client, context: context, method: request.method, route: request.uri.path, audit: audit)
        }
        return try await next(request, context)
    }

    /// Takes a request's token from `client`'s bucket; throws the 429 when it is empty.
    static func charge(
        _ limiter: RateLimiter, client: String, context: Context, method: HTTPRequest.Method, route: String, audit: AuditTrail?
    ) throws {
        guard case .limited(let seconds) = limiter.take(client, nowNanos: Clocks.monotonicNanos()) else { return }
        context.logger.notice(
            "request refused", metadata: ["client": "\(context.clientAddress)", "key": "\(client)", "route": "\(route)", "reason": "rate limit"])
        let error = APIError.rateLimited(retryAfterSeconds: seconds)
        audit?.record(
            .refused, subject: context.access.isAuthenticated ? context.access.subject : "-", client: context.clientAddress,
            method: method.rawValue, route: route, status: error.status.code)
        throw error
    }
}

extension APIError {
    static func rateLimited(retryAfterSeconds: Int) -> APIError {
        var error = APIError(.tooManyRequests, "rate_limited", "Trop de requêtes")
        error.headers[.retryAfter] = String(retryAfterSeconds)
        return error
    }
}
