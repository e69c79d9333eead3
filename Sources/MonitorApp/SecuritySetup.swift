import Foundation
import MonitorSecurity
import MonitorServer

/// Authentication's settings made into a `TokenConfiguration`: the secret from its variable (or flag) or its
/// file, the public keys' file read. A bad one is refused with one line naming its setting, never its value.
public enum SecuritySetup {
    /// The verifier `serve` hands the server; nil when authentication is off.
    public static func tokenVerifier(settings: Settings) async throws(TokenConfigurationError) -> TokenVerifier? {
        let configuration = try tokenConfiguration(settings)
        guard configuration.isEnabled else { return nil }
        return try await TokenVerifier(configuration: configuration)
    }

    public static func tokenConfiguration(_ settings: Settings) throws(TokenConfigurationError) -> TokenConfiguration {
        var configuration = TokenConfiguration(audience: settings.jwtAudience, issuer: settings.jwtIssuer)
        configuration.secret = try secret(settings)
        if let path = settings.jwtPublicKeys {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw TokenConfigurationError("invalid WAKEDOCK_JWT_PUBLIC_KEYS=\"\(path)\": expected a readable file")
            }
            configuration.publicKeys = text
            configuration.publicKeysSource = "WAKEDOCK_JWT_PUBLIC_KEYS=\"\(path)\""
        }
        return configuration
    }

    /// The TLS certificate and key (both, or neither: one alone is refused); nil for plain HTTP.
    public static func certificates(settings: Settings) throws(TLSCertificateError) -> TLSCertificates? {
        switch (settings.tlsCertificate, settings.tlsKey) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return try TLSCertificates(certificatePath: certificate, keyPath: key)
        case (_?, nil): throw TLSCertificateError("invalid WAKEDOCK_TLS_CERT: expected WAKEDOCK_TLS_KEY with it")
        case (nil, _?): throw TLSCertificateError("invalid WAKEDOCK_TLS_KEY: expected WAKEDOCK_TLS_CERT with it")
        }
    }

    /// The HS256 secret: the variable's (or flag's) value, or the file's content without its final newline.
    public static func secret(_ settings: Settings) throws(TokenConfigurationError) -> [UInt8]? {
        switch (settings.jwtSecret, settings.jwtSecretFile) {
        case (nil, nil):
            return nil
        case (let secret?, nil):
            return Array(secret.utf8)
        case (nil, let path?):
            guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
                throw TokenConfigurationError("invalid WAKEDOCK_JWT_SECRET_FILE=\"\(path)\": expected a readable file")
            }
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            guard bytes.count >= TokenConfiguration.minimumSecretBytes else {
                throw TokenConfigurationError(
                    "invalid WAKEDOCK_JWT_SECRET_FILE=\"\(path)\": expected at least \(TokenConfiguration.minimumSecretBytes) bytes, got \(bytes.count)")
            }
            return bytes
        case (_?, _?):
            throw TokenConfigurationError("invalid WAKEDOCK_JWT_SECRET_FILE: expected WAKEDOCK_JWT_SECRET or its file, not both")
        }
    }
}
