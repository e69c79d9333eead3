import ArgumentParser
import Foundation
import Metrics
import MonitorApp
import MonitorHealth
import MonitorSecurity
import MonitorServer
import ServiceLifecycle

/// `wakedock-monitor serve`: the daemon. Loads the settings, builds the daemon (`Daemon.build`) and runs it
/// until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the monitoring daemon (the default).",
        discussion: """
            Every flag mirrors an environment variable; a flag beats its variable. A bad value stops start-up \
            with one line naming it (exit status 78). `wakedock-monitor settings` prints them as a table.

            SETTINGS:
            \(SettingSpec.helpText(for: [.serve, .common, .tokens]))
            """)

    /// Every setting's flag (`SettingSpec.all`), parsed from what ArgumentParser did not recognize.
    @Argument(parsing: .allUnrecognized, help: .private) var settingArguments: [String] = []

    /// An unknown flag is a usage error before anything starts (values are checked by `run`, exit 78).
    func validate() throws { _ = try SettingFlags.parse(settingArguments, scopes: [.serve, .common, .tokens]) }

    func run() async throws {
        // SIGHUP reloads the TLS certificate (`CertificateReloader`); until that listens, it must not stop us.
        signal(SIGHUP, SIG_IGN)
        let settings = try SettingFlags.loadSettings(settingArguments, scopes: [.serve, .common, .tokens])
        let (logger, logTarget, logReason) = LoggingSetup.bootstrap(
            level: settings.logLevel, target: settings.logTarget, environment: ProcessInfo.processInfo.environment)
        // One registry for the daemon's own figures; swift-metrics users (Hummingbird's request metrics) count
        // into it too. Bootstrapped here, once per process, as swift-metrics requires.
        let health = HealthRegistry()
        MetricsSystem.bootstrap(health.metricsFactory)
        let tokens: TokenVerifier?
        let certificates: TLSCertificates?
        do {
            tokens = try await SecuritySetup.tokenVerifier(settings: settings)
            certificates = try SecuritySetup.certificates(settings: settings)
        } catch {
            FileHandle.standardError.write(Data("wakedock-monitor: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let group: ServiceGroup
        do {
            group = try Daemon.build(
                settings: settings, logger: logger, environment: ProcessInfo.processInfo.environment,
                logTarget: (logTarget, logReason), health: health, tokens: tokens, certificates: certificates)
        } catch {
            FileHandle.standardError.write(Data("wakedock-monitor: \(error)\n".utf8))
            throw ExitCode(1)
        }
        try await group.run()
    }
}
