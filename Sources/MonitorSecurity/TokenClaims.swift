import Foundation
import JWTKit

/// A token's payload as we read it: the registered claims we check, and ours (`scope`, `containers`,
/// `services`). `exp` is required: a token that never expires cannot be taken back.
struct TokenClaims: JWTPayload {
    var sub: SubjectClaim?
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var iat: IssuedAtClaim?
    var aud: AudienceClaim?
    var iss: IssuerClaim?
    var scope: String?
    var containers: [String]?
    var services: [String]?

    /// The time claims (jwt-kit calls this after the signature is checked); audience and issuer, which depend on
    /// the daemon's settings, are checked by `TokenVerifier`.
    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }

    var grant: AccessGrant {
        var grant = AccessGrant(
            subject: sub?.value ?? "-", scopes: AccessScope.parse(scope ?? ""), containers: containers, services: services)
        let seconds = exp.value.timeIntervalSince1970
        let clamped = seconds.isFinite ? min(max(seconds, 0), 9e9) : 9e9
        grant.expiresAtNanos = Int64((clamped * 1e9).rounded())  // at most 9e18: it fits
        return grant
    }
}
