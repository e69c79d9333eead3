import Foundation
import JWTKit

/// Signs HS256 tokens with the configured secret: `wakedock-monitor token`, and the tests.
public enum TokenMinter {
    public struct Request: Sendable {
        public var subject: String
        public var scopes: [AccessScope]
        public var containers: [String]?
        public var services: [String]?
        public var lifetime: Duration
        public var audience: String?
        public var issuer: String?

        public init(
            subject: String, scopes: [AccessScope], containers: [String]? = nil, services: [String]? = nil,
            lifetime: Duration, audience: String? = nil, issuer: String? = nil
        ) {
            self.subject = subject
            self.scopes = scopes
            self.containers = containers
            self.services = services
            self.lifetime = lifetime
            self.audience = audience
            self.issuer = issuer
        }
    }

    public static func mint(_ request: Request, secret: [UInt8], now: Date = Date()) async throws(TokenConfigurationError) -> String {
        guard secret.count >= TokenConfiguration.minimumSecretBytes else {
            throw TokenConfigurationError(
                "invalid WAKEDOCK_JWT_SECRET: expected at least \(TokenConfiguration.minimumSecretBytes) bytes, got \(secret.count)")
        }
        let seconds = Double(request.lifetime.components.seconds) + Double(request.lifetime.components.attoseconds) / 1e18
        let claims = TokenClaims(
            sub: SubjectClaim(value: request.subject), exp: ExpirationClaim(value: now.addingTimeInterval(seconds)),
            nbf: nil, iat: IssuedAtClaim(value: now), aud: request.audience.map { AudienceClaim(value: [$0]) },
            iss: request.issuer.map { IssuerClaim(value: $0) }, scope: request.scopes.map(\.rawValue).joined(separator: " "),
            containers: request.containers, services: request.services)
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        do {
            return try await keys.sign(claims)
        } catch {
            throw TokenConfigurationError("cannot sign the token: \(error)")
        }
    }
}
