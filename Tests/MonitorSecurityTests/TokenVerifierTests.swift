import Foundation
import JWTKit
import MonitorCore
import MonitorSecurity
import Testing

/// Claims as a careless or hostile issuer might write them (jwt-kit signs them without checking anything).
struct RawClaims: JWTPayload {
    var sub: String
    var scope: String
    var exp: Int?
    var nbf: Int?
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Tokens as `TokenVerifier` takes or refuses them: each check of SPEC §10 with a token made to fail it alone.
@Suite struct TokenVerifierTests {
    static let secret = Array("a-test-secret-of-at-least-32-bytes!!".utf8)

    static func mint(
        scopes: [AccessScope] = [.read], lifetime: Duration = .seconds(60), audience: String? = nil, issuer: String? = nil,
        containers: [String]? = nil, services: [String]? = nil, now: Date = Date(), secret: [UInt8] = secret
    ) async throws -> String {
        try await TokenMinter.mint(
            .init(subject: "alice", scopes: scopes, containers: containers, services: services, lifetime: lifetime,
                  audience: audience, issuer: issuer),
            secret: secret, now: now)
    }

    static func verifier(audience: String? = nil, issuer: String? = nil) async throws -> TokenVerifier {
        try await TokenVerifier(configuration: TokenConfiguration(secret: secret, audience: audience, issuer: issuer))
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func aMintedTokenGivesItsSubjectScopesAndClaims() async throws {
        let token = try await Self.mint(scopes: [.admin, .scrape], containers: ["web"], services: ["api"])
        let grant = try await Self.verifier().verify(token).get()
        #expect(grant.subject == "alice")
        #expect(grant.scopes == [.admin, .scrape])
        #expect(grant.allows(.read) && grant.allows(.admin) && grant.allows(.scrape))
        #expect(grant.visibility == ContainerVisibility(containers: ["web"], services: ["api"]))
    }

    @Test func expiredNotYetValidAndEndlessTokensAreRefused() async throws {
        let verifier = try await Self.verifier()
        let expired = try await Self.mint(now: Date().addingTimeInterval(-120))
        #expect(await verifier.verify(expired).refusal == .expired)
        // Signed with the right secret: no `exp` at all, and a `nbf` still to come.
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: Self.secret), digestAlgorithm: .sha256)
        let endless = try await keys.sign(RawClaims(sub: "alice", scope: "monitoring:read"))
        #expect(await verifier.verify(endless).refusal == .malformed)
        let early = try await keys.sign(RawClaims(sub: "alice", scope: "monitoring:read", exp: 4_102_444_800, nbf: 4_102_444_000))
        #expect(await verifier.verify(early).refusal == .expired)
    }

    @Test func algNoneOtherAlgorithmsAndOtherSecretsAreRefused() async throws {
        let verifier = try await Self.verifier()
        let payload = Self.base64URL(#"{"sub":"mallory","scope":"monitoring:admin","exp":4102444800}"#)
        #expect(await verifier.verify(Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + payload + ".").refusal == .algorithm)
        #expect(await verifier.verify(Self.base64URL(#"{"alg":"RS256","typ":"JWT"}"#) + "." + payload + ".c2ln").refusal == .algorithm)
        let other = try await Self.mint(secret: Array("another-secret-also-32-bytes-long!!".utf8))
        #expect(await verifier.verify(other).refusal == .signature)
        // A valid token with one byte of its payload changed.
        var tampered = Array(try await Self.mint().utf8)
        let dot = tampered.firstIndex(of: UInt8(ascii: "."))!
        tampered[dot + 5] = tampered[dot + 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(await verifier.verify(String(decoding: tampered, as: UTF8.self)).refusal != nil)
        for junk in ["", "x", "a.b.c", String(repeating: "a", count: 10_000), "\u{0}.\u{0}.\u{0}"] {
            #expect(await verifier.verify(junk).refusal != nil)
        }
    }

    @Test func audienceAndIssuerAreCheckedWhenConfigured() async throws {
        let verifier = try await Self.verifier(audience: "wakedock", issuer: "ops")
        #expect(await verifier.verify(try await Self.mint(audience: "wakedock", issuer: "ops")).refusal == nil)
        #expect(await verifier.verify(try await Self.mint(audience: "elsewhere", issuer: "ops")).refusal == .audience)
        #expect(await verifier.verify(try await Self.mint(issuer: "ops")).refusal == .audience)
        #expect(await verifier.verify(try await Self.mint(audience: "wakedock", issuer: "someone")).refusal == .issuer)
    }

    @Test func shortSecretsAndBadPublicKeysStopStartUp() async throws {
        await #expect(throws: TokenConfigurationError.self) {
            _ = try await TokenVerifier(configuration: TokenConfiguration(secret: Array("short".utf8)))
        }
        do {
            _ = try await TokenVerifier(configuration: TokenConfiguration(publicKeys: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"))
            Issue.record("accepted a bad PEM")
        } catch {
            #expect(error.description.hasPrefix("invalid WAKEDOCK_JWT_PUBLIC_KEYS"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func containerAndServiceClaimsOnlyNarrow() {
        let both = AccessGrant(subject: "s", scopes: [.read], containers: ["web", "abcdef012345"], services: ["api"])
        #expect(both.visibility.sees(id: "0123", name: "web", service: "api"))
        #expect(!both.visibility.sees(id: "0123", name: "web", service: "db"))
        #expect(both.visibility.sees(id: "abcdef0123456789", name: "other", service: "api"))  // an id prefix of 12+
        #expect(!both.visibility.sees(id: "0123", name: "other", service: "api"))
        let short = AccessGrant(subject: "s", scopes: [.read], containers: ["abcdef"])  // a name, not an id prefix
        #expect(!short.visibility.sees(id: "abcdef0123456789", name: "x", service: nil))
        #expect(short.visibility.sees(id: "0123", name: "abcdef", service: nil))
        #expect(AccessGrant.unrestricted.visibility.sees(id: "x", name: "y", service: nil))
        #expect(AccessScope.parse("openid monitoring:read  metrics:scrape") == [.read, .scrape])
    }
}

extension Result where Failure == TokenVerifier.Refusal {
    var refusal: TokenVerifier.Refusal? {
        if case .failure(let refusal) = self { refusal } else { nil }
    }
}
