import Hummingbird
import Logging
import MonitorCore
import MonitorSecurity

/// Authentication and scopes before any route (SPEC §10): with a `TokenVerifier`, a request to anything but
/// the open paths needs a valid token (401 otherwise) carrying the scope its route needs (403 otherwise). The
/// grant then rides in the context, where the routes read its container claims. Refusals say nothing about
/// why (the log does, with the client's address); without a verifier everything passes, unrestricted.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = MonitorRequestContext
    let verifier: TokenVerifier?
    /// Charged per address for every refusal, so that a flood of bad tokens meets the rate limit too.
    var limiter: RateLimiter? = nil
    /// Where refusals are recorded.
    var audit: AuditTrail? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let verifier, let scope = RouteAccess.requiredScope(method: request.method, path: request.uri.path) else {
            return try await next(request, context)
        }
        let route = request.uri.path
        // An address that has used up its refusals is answered at once, before any signature is checked.
        if let limiter, limiter.isExhausted("address:" + context.clientAddress, nowNanos: Clocks.monotonicNanos()) {
            try RateLimitMiddleware.charge(
                limiter, client: "address:" + context.clientAddress, context: context, method: request.method, route: route, audit: audit)
        }
        guard let token = BearerToken.find(in: request.headers, path: request.uri.description, webSocketPath: MonitorServer.webSocketPath)
        else {
            try refuse(context, "no token", route: route, method: request.method, with: .unauthorized)
        }
        switch await verifier.verify(token) {
        case .failure(let refusal):
            try refuse(context, refusal.rawValue, route: route, method: request.method, with: .unauthorized)
        case .success(let grant):
            guard grant.allows(scope) else {
                try refuse(context, "scope \(scope.rawValue) missing", route: route, method: request.method, with: .forbidden, subject: grant.subject)
            }
            var context = context
            context.access = grant
            return try await next(request, context)
        }
    }

    /// Logs the refusal and throws it (or the rate limit's 429, once the address has used up its refusals).
    func refuse(
        _ context: Context, _ reason: String, route: String, method: HTTPRequest.Method, with error: APIError, subject: String? = nil
    ) throws -> Never {
        var metadata: Logger.Metadata = ["client": "\(context.clientAddress)", "method": "\(method.rawValue)", "route": "\(route)", "reason": "\(reason)"]
        if let subject { metadata["subject"] = "\(subject)" }
        if let limiter {
            try RateLimitMiddleware.charge(
                limiter, client: "address:" + context.clientAddress, context: context, method: method, route: route, audit: audit)
        }
        context.logger.notice("request refused", metadata: metadata)
        audit?.record(.refused, subject: subject ?? "-", client: context.clientAddress, method: method.rawValue, route: route, status: error.status.code)
        throw error
    }
}

extension APIError {
    /// One answer for every bad token, so that a client learns nothing of why.
    static var unauthorized: APIError {
        var error = APIError(.unauthorized, "unauthorized", "Authentification requise")
        error.headers[.wwwAuthenticate] = "Bearer realm=\"wakedock-monitor\""
        return error
    }

    static var forbidden: APIError { APIError(.forbidden, "forbidden", "Permission insuffisante") }
}
