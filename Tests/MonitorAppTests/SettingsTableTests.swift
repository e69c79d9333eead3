import Foundation
import Logging
import MonitorApp
import Testing

/// Each setting is declared once (`SettingSpec.all`): the table is consistent with itself and with the
/// defaults, validation refuses a bad value with one line naming it, and the README's configuration table is
/// the one the table prints.
@Suite struct SettingsTableTests {
    @Test func variablesAndFlagsAreUniqueAndNamedAlike() {
        let all = SettingSpec.all
        #expect(Set(all.map(\.variable)).count == all.count)
        #expect(Set(all.map(\.flag)).count == all.count)
        for spec in all {
            #expect(spec.variable.hasPrefix("WAKEDOCK_") && spec.flag.hasPrefix("--"), "\(spec.variable) \(spec.flag)")
        }
    }

    /// No setting given: every value is its default, which its own range accepts (loading it back as a flag).
    @Test func everyDefaultIsAValueItsRowAccepts() throws {
        let defaults = try Settings.load(environment: [:])
        #expect(defaults.given.isEmpty)
        #expect(defaults.collectionInterval == Settings().collectionInterval && defaults.port == Settings().port)
        for spec in SettingSpec.all {
            let text = spec.defaultText
            // Computed defaults are described in words; the others must load as a value of their own.
            guard !text.contains(" "), text != "none" else { continue }
            let loaded = try Settings.load(environment: [:], flags: [spec.variable: text])
            #expect(loaded.given == [spec.variable], "\(spec.variable)=\(text)")
        }
    }

    @Test func aBadValueIsRefusedWithOneLineNamingItAndAFlagBeatsItsVariable() {
        #expect {
            try Settings.load(environment: ["WAKEDOCK_METRICS_INTERVAL": "abc"])
        } throws: { error in
            "\(error)" == #"invalid WAKEDOCK_METRICS_INTERVAL="abc": expected seconds, a number from 0.01 to 3600"#
        }
        #expect {
            try Settings.load(environment: ["WAKEDOCK_PORT": "abc"], flags: ["WAKEDOCK_PORT": "99999"])
        } throws: { error in
            "\(error)".hasPrefix(#"invalid --port="99999""#)
        }
        #expect {
            try Settings.load(environment: ["WAKEDOCK_CPU_WARNING_THRESHOLD": "95"])
        } throws: { error in
            "\(error)".contains("WAKEDOCK_CPU_WARNING_THRESHOLD") && "\(error)".contains("below WAKEDOCK_CPU_CRITICAL_THRESHOLD")
        }
    }

    /// Times are written in seconds and held as `Duration`s; the range is checked on the value as written, so a
    /// value a hair outside a bound is refused rather than rounded onto it, and the bounds themselves are in.
    @Test func durationsAreCheckedAsWrittenThenHeldAsDurations() throws {
        for (variable, outside) in [
            ("WAKEDOCK_METRICS_INTERVAL", "0.0099999996"), ("WAKEDOCK_METRICS_INTERVAL", "3600.0000000004"),
            ("WAKEDOCK_ALERT_COOLDOWN", "-1e-12"), ("WAKEDOCK_WS_PING_INTERVAL", "0.0999999996"), ("WAKEDOCK_METRICS_INTERVAL", "nan"),
            ("WAKEDOCK_METRICS_INTERVAL", "inf"), ("WAKEDOCK_METRICS_INTERVAL", "1e300"),
        ] {
            #expect(throws: Settings.Invalid.self, "\(variable)=\(outside)") { try Settings.load(environment: [variable: outside]) }
        }
        let inside = try Settings.load(environment: [
            "WAKEDOCK_METRICS_INTERVAL": "0.01", "WAKEDOCK_PERSIST_INTERVAL": "86400", "WAKEDOCK_ALERT_COOLDOWN": "0",
            "WAKEDOCK_HTTP_BODY_TIMEOUT": "0.25",
        ])
        #expect(inside.collectionInterval == .milliseconds(10))
        #expect(inside.persistenceInterval == .seconds(86400))
        #expect(inside.alertCooldown == .zero)
        #expect(inside.httpBodyTimeout == .milliseconds(250))
        #expect(try Settings.load(environment: ["WAKEDOCK_METRICS_INTERVAL": "0.5"]).persistenceInterval == .seconds(1))
    }

    @Test func theREADMEShowsTheTable() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        #expect(text.contains(SettingSpec.markdownTable), "paste `wakedock-monitor settings` into the README's Configuration")
    }
}
