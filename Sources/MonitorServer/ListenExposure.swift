/// Who can reach the API, as far as the listening address tells: the loopback interface only (the default,
/// `127.0.0.1`), or beyond. Without authentication, anyone who reaches the port can read every container's
/// figures and stop monitoring, so listening beyond loopback without it is said at start-up and in `/status`
/// for as long as it lasts.
public struct ListenExposure: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// True when requests need a token (SPEC §10).
    public var authenticated: Bool

    public init(host: String, port: Int, authenticated: Bool = false) {
        self.host = host
        self.port = port
        self.authenticated = authenticated
    }

    /// `localhost`, `::1`, or an IPv4 address in 127.0.0.0/8.
    public var isLoopbackOnly: Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "::1" || name == "[::1]" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The warning, or nil when only this machine can connect.
    public var warning: String? {
        isLoopbackOnly || authenticated ? nil
            : "listening beyond loopback without authentication: anyone who can reach this port can read and control monitoring"
    }
}
