import MonitorCore

/// What one request may do and see: from its verified token, or everything when authentication is off.
public struct AccessGrant: Sendable, Equatable {
    /// The token's `sub` (what the audit trail and rate limiter key on), "-" when it has none.
    public var subject: String
    public var scopes: Set<AccessScope>
    /// The containers it may see: its `containers` claim (names or id prefixes of 3 characters or more) and
    /// its `services` claim (compose services); all when it has neither.
    public var visibility: ContainerVisibility
    /// False when authentication is off (anyone who reaches the port).
    public var isAuthenticated: Bool
    /// When the token expires (wall-clock nanoseconds): a WebSocket it opened is closed then. Nil: never.
    public var expiresAtNanos: Int64?

    public init(subject: String, scopes: Set<AccessScope>, containers: [String]? = nil, services: [String]? = nil) {
        self.subject = subject
        self.scopes = scopes
        visibility = ContainerVisibility(containers: containers, services: services)
        isAuthenticated = true
    }

    /// Authentication off: every scope, every container.
    public static let unrestricted: AccessGrant = {
        var grant = AccessGrant(subject: "-", scopes: Set(AccessScope.allCases))
        grant.isAuthenticated = false
        return grant
    }()

    public func allows(_ scope: AccessScope) -> Bool {
        scopes.contains(scope) || (scope == .read && scopes.contains(.admin))
    }
}
