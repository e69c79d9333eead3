import HTTPTypes
import MonitorSecurity

/// The scope a request needs when authentication is on (SPEC §10). Deny by default: only the dashboard's own
/// files and the OpenAPI document are open, every other path needs a token, and every method that is not a
/// read (or one of the two query forms) needs `monitoring:admin`, whatever the path looks like.
enum RouteAccess {
    /// Paths anyone may fetch: the page (which then asks for a token) and the API's description.
    static let open: Set<String> = ["/", "/dashboard.css", "/dashboard.js", "/api/v1/openapi.json"]
    static let queries = ["/api/v1/monitoring/metrics/query", "/api/v1/monitoring/alerts/query"]

    /// Nil when the path is open to anyone. The path is read as the router reads it (empty segments dropped:
    /// `//metrics` and `/metrics/` are `/metrics`), so no spelling of a route needs less than the route.
    static func requiredScope(method: HTTPRequest.Method, path raw: String) -> AccessScope? {
        let path = "/" + raw.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        let isRead = method == .get || method == .head
        if isRead, open.contains(path) { return nil }
        if path == "/metrics" { return isRead ? .scrape : .admin }
        if isRead || (method == .post && queries.contains(path)) { return .read }
        return .admin
    }
}
