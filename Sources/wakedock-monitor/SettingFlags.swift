import ArgumentParser
import Foundation
import MonitorApp

/// The settings' flags on a command line — `--flag value` or `--flag=value`, each a row of `SettingSpec.all` —
/// read from what ArgumentParser left unrecognized, so that a setting's flag is declared once, in its row.
enum SettingFlags {
    /// The given flags' values, keyed by the variable each one overrides. An unknown flag or one without a
    /// value is a usage error (ArgumentParser prints it with the usage, exit status 64).
    static func parse(_ arguments: [String], scopes: Set<SettingSpec.Scope>) throws -> [String: String] {
        let specs = SettingSpec.all.filter { scopes.contains($0.scope) }
        var values: [String: String] = [:]
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard let spec = specs.first(where: { $0.flag == name }) else {
                throw ValidationError("Unknown option '\(argument)'")
            }
            if parts.count == 2 {
                values[spec.variable] = String(parts[1])
                i += 1
            } else {
                // The next argument is the value whatever it looks like ("-1" is a value to refuse, not a flag).
                guard i + 1 < arguments.count else { throw ValidationError("Missing value for '\(name)'") }
                values[spec.variable] = arguments[i + 1]
                i += 2
            }
        }
        return values
    }

    /// Loads and validates every setting; on a bad one prints one line and exits 78 (EX_CONFIG).
    static func loadSettings(_ arguments: [String], scopes: Set<SettingSpec.Scope>) throws -> Settings {
        let flags = try parse(arguments, scopes: scopes)
        do {
            return try Settings.load(environment: ProcessInfo.processInfo.environment, flags: flags)
        } catch let invalid as Settings.Invalid {
            FileHandle.standardError.write(Data("wakedock-monitor: \(invalid)\n".utf8))
            throw ExitCode(78)
        }
    }
}

/// `wakedock-monitor settings`: every setting as the README's configuration table (Markdown).
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Print every setting (variable, flag, default, meaning, accepted values) as a Markdown table.")

    func run() throws { print(SettingSpec.markdownTable) }
}
