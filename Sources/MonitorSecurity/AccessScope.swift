/// What a token may do: the words of its `scope` claim (space-separated, as in OAuth 2.0). Words we do not
/// know are ignored, so one token can carry other services' scopes too.
public enum AccessScope: String, Sendable, CaseIterable, Hashable {
    /// Reads and subscriptions: status, metrics, alerts, thresholds, containers, statistics, the WebSocket.
    case read = "monitoring:read"
    /// Changes (`start`, `stop`, `config`, thresholds, `test/alert`); implies `read`.
    case admin = "monitoring:admin"
    /// Prometheus's `/metrics`.
    case scrape = "metrics:scrape"

    /// The scopes a `scope` claim names.
    public static func parse(_ claim: String) -> Set<AccessScope> {
        Set(claim.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { AccessScope(rawValue: String($0)) })
    }
}
