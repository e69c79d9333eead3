/// What one request may do and see: from its verified token, or everything when authentication is off.
public struct AccessGrant: Sendable, Equatable {
    /// The token's `sub` (what the audit trail and rate limiter key on), "-" when it has none.
    public var subject: String
    public var scopes: Set<AccessScope>
    /// The token's `containers` claim: container names or id prefixes (of at least 3 characters). Nil: no limit.
    public var containers: [String]?
    /// The token's `services` claim: compose service names. Nil: no limit.
    public var services: [String]?
    /// False when authentication is off (anyone who reaches the port).
    public var isAuthenticated: Bool

    public init(subject: String, scopes: Set<AccessScope>, containers: [String]? = nil, services: [String]? = nil) {
        self.subject = subject
        self.scopes = scopes
        self.containers = containers
        self.services = services
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

    /// True when no claim limits which containers the token sees.
    public var seesEverything: Bool { containers == nil && services == nil }

    /// Whether the token sees a container. Both claims given: the container must satisfy both (a claim only
    /// ever narrows what a token sees).
    public func sees(containerID: String, name: String, service: String?) -> Bool {
        if let containers {
            let named = containers.contains { $0 == name || ($0.utf8.count >= 3 && containerID.hasPrefix($0)) }
            if !named { return false }
        }
        if let services {
            guard let service, services.contains(service) else { return false }
        }
        return true
    }
}
