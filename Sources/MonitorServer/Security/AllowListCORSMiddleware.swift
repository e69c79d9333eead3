import Hummingbird
import MonitorSecurity

/// CORS for the origins on the allow-list (`WAKEDOCK_CORS_ORIGINS`; none by default): Hummingbird's
/// `CORSMiddleware` answers their preflights and marks their answers. A preflight from any other origin is refused
/// (403, no CORS header: the browser then never sends the request); other requests from it are served without
/// CORS headers, so a browser does not let that origin's page read them.
struct AllowListCORSMiddleware: RouterMiddleware {
    typealias Context = MonitorRequestContext
    let origins: Set<String>
    var audit: AuditTrail? = nil
    /// Refused preflights count against their address, like every refusal.
    var limiter: RateLimiter? = nil
    let cors = CORSMiddleware<MonitorRequestContext>(
        allowOrigin: .originBased, allowHeaders: [.accept, .authorization, .contentType, .origin],
        allowMethods: [.get, .head, .post, .put, .delete, .options], exposedHeaders: ["Retry-After", "WWW-Authenticate"],
        maxAge: .seconds(600))

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await Self.varying(next(request, context)) }
        if origins.contains(origin) { return try await cors.handle(request, context: context, next: next) }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            if let limiter {
                try RateLimitMiddleware.charge(
                    limiter, client: "address:" + context.clientAddress, context: context, method: request.method, route: request.uri.path,
                    audit: audit)
            }
            context.logger.notice(
                "request refused", metadata: ["client": "\(context.clientAddress)", "origin": "\(origin)", "reason": "origin not allowed"])
            let error = APIError(.forbidden, "origin_not_allowed", "Origine non autorisée")
            audit?.record(.refused, subject: "-", client: context.clientAddress, method: request.method.rawValue, route: request.uri.path, status: error.status.code)
            throw error
        }
        return try await Self.varying(next(request, context))
    }

    /// Every answer depends on the origin once CORS is on: caches must keep them apart.
    static func varying(_ response: Response) -> Response {
        var response = response
        if !response.headers[values: .vary].contains(where: { $0.lowercased().contains("origin") }) {
            response.headers[values: .vary].append("Origin")
        }
        return response
    }
}
