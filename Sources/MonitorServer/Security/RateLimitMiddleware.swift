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
            // (A token without `sub` is counted by its address: "-" must not be everyone's bucket.)
            let client = context.access.isAuthenticated && context.access.subject != "-"
                ? "subject:" + context.access.subject : "address:" + context.clientAddress
            try Self.charge(limiter, client: client, context: context, method: request.method, route: request.uri.path, audit: audit)
        }
        return try await next(request, context)
    }

    /// Takes a request's token from `client`'s bucket; throws the 429 when it is empty.
    static func charge(
        _ limiter: RateLimiter, client: String, context: Context, method: HTTPRequest.Method, route: String, audit: AuditTrail?
    ) throws {
        guard case .limited(let seconds, let refusals) = limiter.take(client, nowNanos: Clocks.monotonicNanos()) else { return }
        let error = APIError.rateLimited(retryAfterSeconds: seconds)
        // A flood is logged and audited sparingly: the 1st, 10th, 100th… refusal in a row, with its count.
        if Self.isWorthRecording(refusals) {
            context.logger.notice(
                "request refused",
                metadata: [
                    "client": "\(context.clientAddress)", "key": "\(client)", "route": "\(route)", "reason": "rate limit",
                    "refusals_in_a_row": "\(refusals)",
                ])
            audit?.record(
                .refused, subject: context.access.isAuthenticated ? context.access.subject : "-", client: context.clientAddress,
                method: method.rawValue, route: route, status: error.status.code)
        }
        throw error
    }
}

extension RateLimitMiddleware {
    /// 1, 10, 100, 1000…
    static func isWorthRecording(_ refusals: Int) -> Bool {
        var n = refusals
        while n >= 10, n % 10 == 0 { n /= 10 }
        return n == 1
    }
}

extension APIError {
    static func rateLimited(retryAfterSeconds: Int) -> APIError {
        var error = APIError(.tooManyRequests, "rate_limited", "Trop de requêtes")
        error.headers[.retryAfter] = String(retryAfterSeconds)
        return error
    }
}
