import ArgumentParser
import Foundation
import MonitorApp
import MonitorSecurity

/// `wakedock-monitor token`: mints an HS256 token with the configured secret (SPEC §10), so that an operator
/// has one to start with. The secret, audience and issuer come from the same variables (or flags) as `serve`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a signed token (JWT) for the daemon's API.",
        discussion: """
            Scopes: monitoring:read (reads and the WebSocket), monitoring:admin (start, stop, config, thresholds, \
            test/alert; implies read), metrics:scrape (/metrics). --container and --service limit what the \
            token sees (both given: a container must match both).

            SETTINGS:
            \(SettingSpec.helpText(for: [.tokens]))
            """)

    @Option(name: .customLong("scope"), help: "A scope to grant (repeatable): monitoring:read, monitoring:admin, metrics:scrape.")
    var scopes: [String] = ["monitoring:read"]

    @Option(name: .customLong("container"), help: "Limit the token to this container name or id prefix (repeatable).")
    var containers: [String] = []

    @Option(name: .customLong("service"), help: "Limit the token to this compose service (repeatable).")
    var services: [String] = []

    @Option(help: "The token's subject (sub): who it is for, as the audit trail and the rate limiter name it.")
    var subject = "operator"

    @Option(name: .customLong("expires-in"), help: "Seconds until the token expires (exp).")
    var expiresIn: Double = 86_400

    @Argument(parsing: .allUnrecognized, help: .private) var settingArguments: [String] = []

    func validate() throws {
        _ = try SettingFlags.parse(settingArguments, scopes: [.tokens])
        for scope in scopes where AccessScope(rawValue: scope) == nil {
            throw ValidationError("unknown scope '\(scope)': expected monitoring:read, monitoring:admin or metrics:scrape")
        }
        guard expiresIn.isFinite, expiresIn >= 1, expiresIn <= 366 * 86_400 else {
            throw ValidationError("--expires-in: expected seconds from 1 to one year")
        }
        for value in containers + services where value.isEmpty { throw ValidationError("empty --container or --service") }
    }

    func run() async throws {
        let settings = try SettingFlags.loadSettings(settingArguments, scopes: [.tokens])
        do {
            guard let secret = try SecuritySetup.secret(settings) else {
                throw TokenConfigurationError("no secret: set WAKEDOCK_JWT_SECRET or WAKEDOCK_JWT_SECRET_FILE (or --jwt-secret-file)")
            }
            let token = try await TokenMinter.mint(
                .init(
                    subject: subject, scopes: scopes.compactMap(AccessScope.init(rawValue:)),
                    containers: containers.isEmpty ? nil : containers, services: services.isEmpty ? nil : services,
                    lifetime: .seconds(expiresIn), audience: settings.jwtAudience, issuer: settings.jwtIssuer),
                secret: secret)
            print(token)
        } catch {
            FileHandle.standardError.write(Data("wakedock-monitor: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
