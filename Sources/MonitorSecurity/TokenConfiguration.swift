/// The keys and expectations tokens are checked against (SPEC §10). Authentication is on when there is a
/// secret or public keys.
public struct TokenConfiguration: Sendable {
    /// The HS256 shared secret (at least `minimumSecretBytes`).
    public var secret: [UInt8]?
    /// Public keys for RS256/ES256: one PEM public key, or a JWKS document (`{"keys": [...]}`), as read from the
    /// file `publicKeysSource` names.
    public var publicKeys: String?
    public var publicKeysSource = "WAKEDOCK_JWT_PUBLIC_KEYS"
    /// When set, a token's `aud` must include it.
    public var audience: String?
    /// When set, a token's `iss` must be it.
    public var issuer: String?

    /// RFC 7518 §3.2: an HS256 key must be at least as long as the hash.
    public static let minimumSecretBytes = 32
    /// Longer bearer values are refused before any parsing.
    public static let maximumTokenBytes = 8192

    public init(secret: [UInt8]? = nil, publicKeys: String? = nil, audience: String? = nil, issuer: String? = nil) {
        self.secret = secret
        self.publicKeys = publicKeys
        self.audience = audience
        self.issuer = issuer
    }

    public var isEnabled: Bool { secret != nil || publicKeys != nil }
}

/// A configuration the daemon refuses to start with: one line naming the setting (never a secret's value).
public struct TokenConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
