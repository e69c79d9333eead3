import Logging
import MonitorCore
import MonitorRuntime
import MonitorSystemd

/// One setting, declared once: its environment variable, its flag, what it holds (its type, the range a value
/// must fall in, where it goes in `Settings`, whose property initialisers are the defaults) and its help. From
/// `SettingSpec.all` come the flags `serve` and `stats` accept, `--help`, `wakedock-monitor settings` (the
/// README's configuration table, checked by a test), start-up validation, and the ranges `POST /config`
/// accepts at run time.
public struct SettingSpec {
    enum Kind {
        /// Written in seconds (`5`, `0.25`), held as a `Duration`.
        case duration(WritableKeyPath<Settings, Duration>, ClosedRange<Duration>)
        /// Unset unless given (its default is computed from other settings: `shownDefault` says how).
        case optionalDuration(WritableKeyPath<Settings, Duration?>, ClosedRange<Duration>)
        case number(WritableKeyPath<Settings, Double>, ClosedRange<Double>)
        case integer(WritableKeyPath<Settings, Int>, ClosedRange<Int>)
        /// Non-empty, no blanks.
        case text(WritableKeyPath<Settings, String>)
        case path(WritableKeyPath<Settings, String>)
        /// Comma-separated http(s) URLs.
        case urls(WritableKeyPath<Settings, [String]>)
        /// Unset unless given; non-empty, no blanks.
        case optionalText(WritableKeyPath<Settings, String?>)
        case optionalPath(WritableKeyPath<Settings, String?>)
        /// Comma-separated web origins (`scheme://host[:port]`, no path).
        case origins(WritableKeyPath<Settings, [String]>)
        /// A secret: at least 32 bytes, never printed (not even in the line refusing it).
        case secret(WritableKeyPath<Settings, String?>)
        case logLevel
        case logTarget
        /// Also read from DOCKER_HOST (unix:// only) when its variable is unset.
        case dockerSocket
    }

    /// Which commands take the setting: `serve` only, `serve` and `stats`, or `serve` and `token` (the
    /// token settings).
    public enum Scope: Sendable {
        case serve
        case common
        case tokens
    }

    public let variable: String
    public let flag: String
    let kind: Kind
    public internal(set) var scope: Scope = .serve
    /// The default as shown, when it is not simply the value `Settings()` holds.
    var shownDefault: String?
    /// The range `POST /config` accepts for it at run time (SPEC §4), when it can be changed there.
    public internal(set) var runtimeRange: RuntimeRange?

    public enum RuntimeRange: Sendable {
        case duration(ClosedRange<Duration>)
        case integer(ClosedRange<Int>)
    }
    public let help: String

    /// Thresholds whose warning must stay under their critical (checked after every setting is read).
    static let orderedPairs: [(warning: String, critical: String)] = [
        ("WAKEDOCK_CPU_WARNING_THRESHOLD", "WAKEDOCK_CPU_CRITICAL_THRESHOLD"),
        ("WAKEDOCK_MEMORY_WARNING_THRESHOLD", "WAKEDOCK_MEMORY_CRITICAL_THRESHOLD"),
        ("WAKEDOCK_NETWORK_RX_WARNING_THRESHOLD", "WAKEDOCK_NETWORK_RX_CRITICAL_THRESHOLD"),
        ("WAKEDOCK_NETWORK_TX_WARNING_THRESHOLD", "WAKEDOCK_NETWORK_TX_CRITICAL_THRESHOLD"),
    ]

    /// Every setting, in the order `--help` and the README list them.
    public static var all: [SettingSpec] {
        [
            .init(
                variable: "WAKEDOCK_METRICS_INTERVAL", flag: "--interval", kind: .duration(\.collectionInterval, .milliseconds(10)...(.seconds(3600))),
                runtimeRange: .duration(.milliseconds(100)...(.seconds(60))), help: "collection interval, seconds, fractional allowed"),
            .init(
                variable: "WAKEDOCK_METRICS_RETENTION_DAYS", flag: "--retention-days", kind: .integer(\.retentionDays, 1...3650),
                runtimeRange: .integer(1...30), help: "days of history on disk"),
            .init(
                variable: "WAKEDOCK_METRICS_STORAGE_PATH", flag: "--storage", kind: .path(\.storagePath),
                help: "JSONL history directory"),
            .init(
                variable: "WAKEDOCK_PERSIST_INTERVAL", flag: "--persist-interval", kind: .optionalDuration(\.persistInterval, .milliseconds(10)...(.seconds(86400))),
                shownDefault: "the collection interval, at least 1", help: "seconds between persisted samples"),
            .init(
                variable: "WAKEDOCK_METRICS_MAX_FILE_BYTES", flag: "--max-file-bytes", kind: .integer(\.maxFileBytes, 4096...(1 << 40)),
                help: "a history file is closed and gzipped when it would grow past this"),
            .init(
                variable: "WAKEDOCK_WS_MAX_CLIENTS", flag: "--ws-max-clients", kind: .integer(\.wsMaxClients, 1...100_000),
                help: "WebSocket clients at once"),
            .init(
                variable: "WAKEDOCK_WS_PING_INTERVAL", flag: "--ws-ping-interval", kind: .duration(\.wsPingInterval, .milliseconds(100)...(.seconds(86400))),
                help: "seconds between WebSocket pings"),
            .init(
                variable: "WAKEDOCK_WS_CLIENT_TIMEOUT", flag: "--ws-client-timeout", kind: .duration(\.wsClientTimeout, .milliseconds(100)...(.seconds(86400))),
                help: "seconds without a frame from a client before it is closed"),
            .init(
                variable: "WAKEDOCK_WS_QUEUE_SIZE", flag: "--ws-queue-size", kind: .integer(\.wsQueueSize, 1...1_000_000),
                help: "messages a WebSocket client may have waiting before it is dropped as too slow"),
            .init(
                variable: "WAKEDOCK_CPU_WARNING_THRESHOLD", flag: "--cpu-warning", kind: .number(\.cpuWarning, 0...100_000),
                help: "CPU % warning threshold (under the critical one)"),
            .init(
                variable: "WAKEDOCK_CPU_CRITICAL_THRESHOLD", flag: "--cpu-critical", kind: .number(\.cpuCritical, 0...100_000),
                help: "CPU % critical threshold"),
            .init(
                variable: "WAKEDOCK_MEMORY_WARNING_THRESHOLD", flag: "--memory-warning", kind: .number(\.memoryWarning, 0...100),
                help: "memory % warning threshold (under the critical one)"),
            .init(
                variable: "WAKEDOCK_MEMORY_CRITICAL_THRESHOLD", flag: "--memory-critical", kind: .number(\.memoryCritical, 0...100),
                help: "memory % critical threshold"),
            .init(
                variable: "WAKEDOCK_NETWORK_RX_WARNING_THRESHOLD", flag: "--network-rx-warning",
                kind: .number(\.networkRxWarning, 0...1e15), help: "network RX warning threshold, bytes/s (100 MB/s)"),
            .init(
                variable: "WAKEDOCK_NETWORK_RX_CRITICAL_THRESHOLD", flag: "--network-rx-critical",
                kind: .number(\.networkRxCritical, 0...1e15), help: "network RX critical threshold, bytes/s (500 MB/s)"),
            .init(
                variable: "WAKEDOCK_NETWORK_TX_WARNING_THRESHOLD", flag: "--network-tx-warning",
                kind: .number(\.networkTxWarning, 0...1e15), help: "network TX warning threshold, bytes/s"),
            .init(
                variable: "WAKEDOCK_NETWORK_TX_CRITICAL_THRESHOLD", flag: "--network-tx-critical",
                kind: .number(\.networkTxCritical, 0...1e15), help: "network TX critical threshold, bytes/s"),
            .init(
                variable: "WAKEDOCK_ALERT_COOLDOWN", flag: "--alert-cooldown", kind: .duration(\.alertCooldown, .zero...(.seconds(86400))),
                help: "seconds before an alert that persists is raised again"),
            .init(
                variable: "WAKEDOCK_ALERT_HYSTERESIS", flag: "--alert-hysteresis", kind: .number(\.alertHysteresis, 0...0.9),
                help: "an alert ends below threshold × (1 − this)"),
            .init(
                variable: "WAKEDOCK_ALERT_CLEAR_DELAY", flag: "--alert-clear-delay", kind: .duration(\.alertClearDelay, .zero...(.seconds(86400))),
                help: "… once the value has stayed there this many seconds"),
            .init(
                variable: "WAKEDOCK_HTTP_HEADER_TIMEOUT", flag: "--http-header-timeout", kind: .duration(\.httpHeaderTimeout, .milliseconds(100)...(.seconds(3600))),
                help: "seconds a client has to send a request head; also an idle keep-alive connection's life"),
            .init(
                variable: "WAKEDOCK_HTTP_BODY_TIMEOUT", flag: "--http-body-timeout", kind: .duration(\.httpBodyTimeout, .milliseconds(100)...(.seconds(3600))),
                help: "seconds a client has to send a request body"),
            .init(
                variable: "WAKEDOCK_WEBHOOK_URLS", flag: "--webhook-url", kind: .urls(\.webhookURLs), shownDefault: "none",
                help: "comma-separated http(s):// URLs that receive every alert and resolution"),
            .init(
                variable: "WAKEDOCK_JWT_SECRET", flag: "--jwt-secret", kind: .secret(\.jwtSecret), scope: .tokens, shownDefault: "none",
                help: "HS256 secret (32 bytes or more) that turns authentication on; prefer the file: a flag shows in ps"),
            .init(
                variable: "WAKEDOCK_JWT_SECRET_FILE", flag: "--jwt-secret-file", kind: .optionalPath(\.jwtSecretFile), scope: .tokens, shownDefault: "none",
                help: "file holding the HS256 secret (a final newline is ignored)"),
            .init(
                variable: "WAKEDOCK_JWT_PUBLIC_KEYS", flag: "--jwt-public-keys", kind: .optionalPath(\.jwtPublicKeys), shownDefault: "none",
                help: "file of public keys for RS256/ES256 tokens: one PEM key, or a JWKS document"),
            .init(
                variable: "WAKEDOCK_JWT_AUDIENCE", flag: "--jwt-audience", kind: .optionalText(\.jwtAudience), scope: .tokens, shownDefault: "none",
                help: "when set, a token's aud must include it"),
            .init(
                variable: "WAKEDOCK_JWT_ISSUER", flag: "--jwt-issuer", kind: .optionalText(\.jwtIssuer), scope: .tokens, shownDefault: "none",
                help: "when set, a token's iss must be it"),
            .init(
                variable: "WAKEDOCK_RATE_LIMIT", flag: "--rate-limit", kind: .number(\.rateLimit, 0...1_000_000),
                help: "requests a second per token subject (per address without one), bursts of twice that; also each WebSocket's messages and each address's new WebSocket connections; 0: no limit"),
            .init(
                variable: "WAKEDOCK_CORS_ORIGINS", flag: "--cors-origins", kind: .origins(\.corsOrigins), shownDefault: "none",
                help: "comma-separated origins whose pages may call the API from a browser (CORS)"),
            .init(
                variable: "WAKEDOCK_TLS_CERT", flag: "--tls-cert", kind: .optionalPath(\.tlsCertificate), shownDefault: "none",
                help: "PEM certificate chain: the API is then HTTPS and WSS only (SIGHUP reloads it)"),
            .init(
                variable: "WAKEDOCK_TLS_KEY", flag: "--tls-key", kind: .optionalPath(\.tlsKey), shownDefault: "none",
                help: "PEM private key of that certificate"),
            .init(variable: "WAKEDOCK_HOST", flag: "--host", kind: .text(\.host), help: "address the HTTP API listens on"),
            .init(variable: "WAKEDOCK_PORT", flag: "--port", kind: .integer(\.port, 0...65535), help: "port the HTTP API listens on"),
            .init(
                variable: "WAKEDOCK_MEMORY_SAMPLES", flag: "--memory-samples", kind: .integer(\.ringCapacity, 1...1_000_000),
                help: "samples kept in memory per container"),
            .init(
                variable: "WAKEDOCK_DOCKER_SOCKET", flag: "--docker-socket", kind: .dockerSocket, scope: .common,
                shownDefault: "DOCKER_HOST (unix:// only), else /var/run/docker.sock",
                help: "Docker Engine socket; if it does not exist, the cgroup tree is scanned instead"),
            .init(
                variable: "WAKEDOCK_CGROUP_ROOT", flag: "--cgroup-root", kind: .path(\.cgroupRoot), scope: .common,
                help: "cgroup root (tests point it at fixture trees)"),
            .init(variable: "WAKEDOCK_PROC_ROOT", flag: "--proc-root", kind: .path(\.procRoot), scope: .common, help: "procfs root"),
            .init(
                variable: "WAKEDOCK_LOG_LEVEL", flag: "--log-level", kind: .logLevel, scope: .common,
                help: Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")),
            .init(
                variable: "WAKEDOCK_LOG_TARGET", flag: "--log-target", kind: .logTarget, scope: .common,
                help: "auto (the journal if it is there, else stderr), journal or stderr"),
        ]
    }

    public static func spec(_ variable: String) -> SettingSpec? { all.first { $0.variable == variable } }

    /// What `POST /config` accepts, from the rows' `runtimeRange`s.
    public static var runtimeLimits: RuntimeLimits {
        var limits = RuntimeLimits()
        if case .duration(let r) = spec("WAKEDOCK_METRICS_INTERVAL")?.runtimeRange { limits.interval = r }
        if case .integer(let r) = spec("WAKEDOCK_METRICS_RETENTION_DAYS")?.runtimeRange { limits.retentionDays = r }
        return limits
    }

    // MARK: What is shown

    /// The default, as `--help` and the README show it.
    public var defaultText: String {
        if let shownDefault { return shownDefault }
        let defaults = Settings()
        switch kind {
        case .number(let path, _): return Self.format(defaults[keyPath: path])
        case .duration(let path, _): return defaults[keyPath: path].secondsText
        case .integer(let path, _): return String(defaults[keyPath: path])
        case .text(let path), .path(let path): return defaults[keyPath: path]
        case .optionalDuration(let path, _): return defaults[keyPath: path]?.secondsText ?? "none"
        case .urls(let path): return defaults[keyPath: path].isEmpty ? "none" : defaults[keyPath: path].joined(separator: ",")
        case .optionalText(let path), .optionalPath(let path), .secret(let path): return defaults[keyPath: path] ?? "none"
        case .origins(let path): return defaults[keyPath: path].isEmpty ? "none" : defaults[keyPath: path].joined(separator: ",")
        case .logLevel: return defaults.logLevel.rawValue
        case .logTarget: return defaults.logTarget.rawValue
        case .dockerSocket: return defaults.dockerSocket
        }
    }

    /// What a value must be, as error lines and the help say it.
    public var expected: String {
        switch kind {
        case .duration(_, let r), .optionalDuration(_, let r): "seconds, a number from \(r.lowerBound.secondsText) to \(r.upperBound.secondsText)"
        case .number(_, let r): "a number from \(Self.format(r.lowerBound)) to \(Self.format(r.upperBound))"
        case .integer(_, let r): "a whole number from \(r.lowerBound) to \(r.upperBound)"
        case .text: "a non-empty value without blanks"
        case .path: "an absolute path"
        case .urls: "comma-separated http:// or https:// URLs"
        case .optionalText: "a non-empty value without blanks"
        case .optionalPath: "an absolute path"
        case .secret: "at least 32 bytes"
        case .origins: "comma-separated http(s)://host[:port] origins"
        case .logLevel: "one of " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
        case .logTarget: "auto, journal or stderr"
        case .dockerSocket: "an absolute socket path"
        }
    }

    /// The flags of one command, for its `--help`.
    public static func helpText(for scopes: Set<Scope>) -> String {
        // Short lines: ArgumentParser wraps the discussion at 80 columns without keeping an indent.
        all.filter { scopes.contains($0.scope) }.map { spec in
            "  \(spec.flag)  \(spec.variable)\n      \(spec.help)\n      default \(spec.defaultText); \(spec.expected)"
        }.joined(separator: "\n")
    }

    /// The README's configuration table (`wakedock-monitor settings`).
    public static var markdownTable: String {
        var lines = ["| variable | flag | default | meaning | accepted |", "|---|---|---|---|---|"]
        for spec in all {
            var accepted = spec.expected
            switch spec.runtimeRange {
            case .duration(let r): accepted += "; `POST /config`: \(r.lowerBound.secondsText) to \(r.upperBound.secondsText)"
            case .integer(let r): accepted += "; `POST /config`: \(r.lowerBound) to \(r.upperBound)"
            case nil: break
            }
            lines.append("| `\(spec.variable)` | `\(spec.flag)` | \(spec.defaultText) | \(spec.help) | \(accepted) |")
        }
        return lines.joined(separator: "\n")
    }

    public static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(saturating: v)) : String(v)
    }
}
