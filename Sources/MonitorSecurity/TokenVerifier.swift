import Foundation
import JWTKit

/// Checks bearer tokens: the signature with a key of the algorithm the header names (HS256 with the secret,
/// RS256/ES256 with the public keys; any other `alg`, `none` included, is refused before a key is looked at:
/// jwt-kit does not compare the header's `alg` with the key's), then `exp`, `nbf`, `aud` and `iss`.
public final class TokenVerifier: Sendable {
    /// One key collection per algorithm, so a key is only ever used for its own algorithm.
    private let keys: [String: JWTKeyCollection]
    private let audience: String?
    private let issuer: String?
    /// The JWKS keys left out (not for signing, or of an algorithm this daemon does not take), for the log.
    public let skippedKeys: [String]

    public init(configuration: TokenConfiguration) async throws(TokenConfigurationError) {
        var keys: [String: JWTKeyCollection] = [:]
        if let secret = configuration.secret {
            guard secret.count >= TokenConfiguration.minimumSecretBytes else {
                throw TokenConfigurationError(
                    "invalid WAKEDOCK_JWT_SECRET: expected at least \(TokenConfiguration.minimumSecretBytes) bytes, got \(secret.count)")
            }
            keys["HS256"] = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        var skipped: [String] = []
        if let text = configuration.publicKeys {
            let found = try await Self.publicKeys(text, source: configuration.publicKeysSource)
            keys.merge(found.collections) { _, new in new }
            skipped = found.skipped
        }
        self.keys = keys
        skippedKeys = skipped
        audience = configuration.audience
        issuer = configuration.issuer
    }

    /// Why a token was refused: for the log only (the client hears "invalid token", nothing more).
    public enum Refusal: String, Error, Sendable {
        case malformed = "malformed token"
        case algorithm = "algorithm not accepted"
        case signature = "bad signature"
        case expired = "expired or not yet valid"
        case audience = "wrong audience"
        case issuer = "wrong issuer"
    }

    public func verify(_ token: String) async -> Result<AccessGrant, Refusal> {
        guard token.utf8.count <= TokenConfiguration.maximumTokenBytes, let header = Self.header(of: token) else {
            return .failure(.malformed)
        }
        guard let algorithm = header.alg, let collection = keys[algorithm] else { return .failure(.algorithm) }
        let claims: TokenClaims
        do {
            // A token naming its key is checked with that key alone; one without, with each key of its algorithm.
            claims = try await collection.verify(token, as: TokenClaims.self, iteratingKeys: header.kid == nil)
        } catch let error as JWTError {
            switch error.errorType {
            case .claimVerificationFailure: return .failure(.expired)
            case .signatureVerificationFailed, .unknownKID, .noKeyProvided: return .failure(.signature)
            default: return .failure(.malformed)
            }
        } catch {
            return .failure(.malformed)
        }
        if let audience {
            guard let aud = claims.aud, aud.value.contains(audience) else { return .failure(.audience) }
        }
        if let issuer, claims.iss?.value != issuer { return .failure(.issuer) }
        return .success(claims.grant)
    }

    /// The header's `alg` and `kid`, read before any key is chosen.
    private struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    private static func header(of token: String) -> Header? {
        guard let dot = token.firstIndex(of: "."), let data = base64URLDecode(token[..<dot]) else { return nil }
        return try? JSONDecoder().decode(Header.self, from: data)
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// A PEM public key (RSA → RS256, P-256 → ES256) or a JWKS document's RSA and P-256 keys.
    private static func publicKeys(
        _ text: String, source: String
    ) async throws(TokenConfigurationError) -> (collections: [String: JWTKeyCollection], skipped: [String]) {
        let refused = TokenConfigurationError(
            "invalid \(source): expected a PEM public key (RSA or EC P-256) or a JWKS document of RSA/P-256 keys")
        if text.contains("-----BEGIN") {
            if let rsa = try? Insecure.RSA.PublicKey(pem: text) {
                return (["RS256": await JWTKeyCollection().add(rsa: rsa, digestAlgorithm: .sha256)], [])
            }
            if let ec = try? ES256PublicKey(pem: text) {
                return (["ES256": await JWTKeyCollection().add(ecdsa: ec)], [])
            }
            throw refused
        }
        // A JWKS from an identity provider holds other keys too (encryption keys, other curves): those are skipped
        // (and named in `skippedKeys`); start-up fails only when no signing key is left.
        guard let document = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let entries = document["keys"] as? [[String: Any]]
        else { throw refused }
        var collections: [String: JWTKeyCollection] = [:]
        var skipped: [String] = []
        for (index, var entry) in entries.enumerated() {
            let name = (entry["kid"] as? String).map { "kid \($0)" } ?? "key \(index)"
            if let use = entry["use"] as? String, use != "sig" {
                skipped.append("\(name): use \(use)")
                continue
            }
            let algorithm: String
            switch (entry["kty"] as? String, entry["crv"] as? String) {
            case ("RSA", _): algorithm = "RS256"
            case ("EC", "P-256"): algorithm = "ES256"
            case (let kty, let crv):
                skipped.append("\(name): \(kty ?? "no kty")\(crv.map { " " + $0 } ?? "") not supported")
                continue
            }
            if let stated = entry["alg"] as? String, stated != algorithm {
                skipped.append("\(name): alg \(stated) not supported")
                continue
            }
            entry["alg"] = algorithm
            if entry["kid"] == nil { entry["kid"] = "key-\(index)" }  // jwt-kit files every key under one
            guard let data = try? JSONSerialization.data(withJSONObject: entry), let jwk = try? JSONDecoder().decode(JWK.self, from: data)
            else {
                skipped.append("\(name): does not parse")
                continue
            }
            let collection = collections[algorithm] ?? JWTKeyCollection()
            do {
                try await collection.add(jwk: jwk)
            } catch {
                skipped.append("\(name): \(error)")
                continue
            }
            collections[algorithm] = collection
        }
        guard !collections.isEmpty else { throw refused }
        return (collections, skipped)
    }
}
