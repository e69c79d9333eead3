import Foundation
import Logging
import MonitorCore
import MonitorSystemd

/// Everything the daemon can be told, from `WAKEDOCK_*` environment variables and the flags that mirror
/// them (a flag beats its variable). The property initialisers are the defaults; what each setting is called,
/// accepts and means is its row in `SettingSpec.all`. Every value is validated before anything starts: a bad
/// one stops start-up with one line naming the variable (or flag) and the value; nothing silently falls back.
public struct Settings: Sendable {
    public var collectionInterval: Duration = .seconds(5)
    public var retentionDays = 7
    public var storagePath = "/var/log/wakedock/metrics"
    public var persistInterval: Duration?  // nil: the collection interval, never under a second (persistenceInterval)
    /// A history file is closed (then compressed) when it would grow past this.
    public var maxFileBytes = 50_000_000
    public var wsMaxClients = 100
    public var wsPingInterval: Duration = .seconds(30)
    public var wsClientTimeout: Duration = .seconds(60)
    /// Messages a WebSocket client may have waiting before it is dropped as too slow.
    public var wsQueueSize = 1024
    public var cpuWarning: Double = 70
    public var cpuCritical: Double = 90
    public var memoryWarning: Double = 80
    public var memoryCritical: Double = 95
    /// Network thresholds, bytes per second (MB = 1024 × 1024 as the original).
    public var networkRxWarning: Double = 100 * 1_048_576
    public var networkRxCritical: Double = 500 * 1_048_576
    public var networkTxWarning: Double = 100 * 1_048_576
    public var networkTxCritical: Double = 500 * 1_048_576
    /// A level that persists is raised again after this long.
    public var alertCooldown: Duration = .seconds(300)
    /// A level ends below threshold × (1 − hysteresis).
    public var alertHysteresis: Double = 0.1
    /// …once the value has stayed there this long (a flapping value makes no storm).
    public var alertClearDelay: Duration = .seconds(5)
    /// Alerts are POSTed to each of these.
    public var webhookURLs: [String] = []
    public var host = "127.0.0.1"
    public var port = 8000
    public var dockerSocket = "/var/run/docker.sock"
    public var cgroupRoot = "/sys/fs/cgroup"
    public var procRoot = "/proc"
    public var logLevel: Logger.Level = .info
    /// Where log lines go: the journal when it is there (auto), or forced.
    public var logTarget: LogTarget = .auto
    /// Samples kept in memory per container.
    public var ringCapacity = 720
    /// How long a client has to send a complete request head (also the idle keep-alive time).
    public var httpHeaderTimeout: Duration = .seconds(10)
    /// How long a client has to send a request's body once its head is in.
    public var httpBodyTimeout: Duration = .seconds(20)
    /// Authentication (SPEC §10): on with a secret (or its file) or public keys.
    public var jwtSecret: String?
    public var jwtSecretFile: String?
    public var jwtPublicKeys: String?
    public var jwtAudience: String?
    public var jwtIssuer: String?
    /// Requests a second per client; 0: no limit (SPEC §10: 50).
    public var rateLimit: Double = 50
    public var corsOrigins: [String] = []
    /// HTTPS and WSS from this PEM certificate chain and key.
    public var tlsCertificate: String?
    public var tlsKey: String?

    /// A setting that failed validation: printed as one line, then the process exits with EX_CONFIG (78).
    public struct Invalid: Error, CustomStringConvertible {
        public let source: String
        public let value: String
        public let expected: String
        public var description: String { "invalid \(source)=\"\(value)\": expected \(expected)" }
    }

    /// Every setting at its default.
    public init() {}

    /// Variables given (by flag or environment), as opposed to left at their default.
    public var given: Set<String> = []

    /// Reads every setting of `SettingSpec.all` from the environment, then the flags (keyed by the variable they
    /// override), and checks the thresholds' order.
    public static func load(environment: [String: String], flags: [String: String?] = [:]) throws -> Settings {
        let reader = Reader(environment: environment, flags: flags.compactMapValues { $0 })
        var s = Settings()
        for spec in SettingSpec.all {
            try reader.apply(spec, to: &s)
            if reader.has(spec.variable) { s.given.insert(spec.variable) }
        }
        for (warning, critical) in SettingSpec.orderedPairs {
            guard let w = SettingSpec.spec(warning), let c = SettingSpec.spec(critical),
                case .number(let wPath, _) = w.kind, case .number(let cPath, _) = c.kind
            else { continue }
            guard s[keyPath: wPath] < s[keyPath: cPath] else {
                throw Invalid(
                    source: warning, value: SettingSpec.format(s[keyPath: wPath]),
                    expected: "a warning threshold below \(critical) (\(SettingSpec.format(s[keyPath: cPath])))")
            }
        }
        return s
    }

    /// The time between persisted samples: WAKEDOCK_PERSIST_INTERVAL, else the collection interval but never
    /// under 1 s (SPEC §7: sub-second collection does not multiply disk use).
    public var persistenceInterval: Duration { persistInterval ?? max(collectionInterval, .seconds(1)) }

    /// Resolves one setting at a time: the flag when given, else the variable, else the default.
    struct Reader {
        let environment: [String: String]
        let flags: [String: String]

        func has(_ variable: String) -> Bool { flags[variable] != nil || environment[variable] != nil }

        private func raw(_ spec: SettingSpec) -> (value: String, source: String)? {
            if let value = flags[spec.variable] { return (value, spec.flag) }
            if let value = environment[spec.variable] { return (value, spec.variable) }
            return nil
        }

        /// Sets `spec`'s value when it is given; throws one line naming it when the value is bad.
        func apply(_ spec: SettingSpec, to s: inout Settings) throws {
            if case .dockerSocket = spec.kind {
                s.dockerSocket = try dockerSocket(spec)
                return
            }
            guard let (text, source) = raw(spec) else { return }
            let bad = Invalid(source: source, value: text, expected: spec.expected)
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            switch spec.kind {
            case .number(let path, let range):
                guard let v = Double(trimmed), v.isFinite, range.contains(v) else { throw bad }
                s[keyPath: path] = v
            case .duration(let path, let range):
                s[keyPath: path] = try Self.duration(trimmed, in: range, or: bad)
            case .optionalDuration(let path, let range):
                s[keyPath: path] = try Self.duration(trimmed, in: range, or: bad)
            case .integer(let path, let range):
                guard let v = Int(trimmed), range.contains(v) else { throw bad }
                s[keyPath: path] = v
            case .text(let path):
                s[keyPath: path] = try Self.word(text, or: bad)
            case .path(let path):
                s[keyPath: path] = try Self.absolutePath(text, or: bad)
            case .optionalText(let path):
                s[keyPath: path] = try Self.word(text, or: bad)
            case .optionalPath(let path):
                s[keyPath: path] = try Self.absolutePath(text, or: bad)
            case .origins(let path):
                let origins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                for origin in origins {
                    // An origin is exactly what a browser sends: scheme, host, optional port, nothing after.
                    guard let url = URL(string: origin), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
                        url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
                    else { throw bad }
                }
                s[keyPath: path] = origins
            case .secret(let path):
                guard text.utf8.count >= 32 else {
                    throw Invalid(source: source, value: "(\(text.utf8.count) bytes, not shown)", expected: spec.expected)
                }
                s[keyPath: path] = text
            case .urls(let path):
                let urls = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                for url in urls {
                    guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                        throw bad
                    }
                }
                s[keyPath: path] = urls
            case .logLevel:
                guard let level = Logger.Level(rawValue: text.lowercased()) else { throw bad }
                s.logLevel = level
            case .logTarget:
                guard let target = LogTarget(rawValue: text) else { throw bad }
                s.logTarget = target
            case .dockerSocket:
                break
            }
        }

        /// Non-empty, no blanks.
        private static func word(_ text: String, or bad: Invalid) throws -> String {
            guard !text.isEmpty, !text.contains(where: \.isWhitespace) else { throw bad }
            return text
        }

        private static func absolutePath(_ text: String, or bad: Invalid) throws -> String {
            guard text.hasPrefix("/"), !text.contains("\0") else { throw bad }
            return text
        }

        /// Seconds as written (`5`, `0.25`), within `range`: compared as written, so that a value a hair outside
        /// the range is refused rather than rounded into it.
        private static func duration(_ text: String, in range: ClosedRange<Duration>, or bad: Invalid) throws -> Duration {
            guard let seconds = Double(text), seconds.isFinite, seconds >= range.lowerBound.seconds, seconds <= range.upperBound.seconds
            else { throw bad }
            return .seconds(saturating: seconds)
        }

        /// WAKEDOCK_DOCKER_SOCKET, else DOCKER_HOST (unix:// only), else the default socket.
        private func dockerSocket(_ spec: SettingSpec) throws -> String {
            if let (text, source) = raw(spec) {
                guard text.hasPrefix("/") else { throw Invalid(source: source, value: text, expected: spec.expected) }
                return text
            }
            if let host = environment["DOCKER_HOST"], !host.isEmpty {
                guard host.hasPrefix("unix://"), host.dropFirst("unix://".count).hasPrefix("/") else {
                    throw Invalid(
                        source: "DOCKER_HOST", value: host,
                        expected: "a unix:///path socket (the monitor runs beside dockerd; set WAKEDOCK_DOCKER_SOCKET)")
                }
                return String(host.dropFirst("unix://".count))
            }
            return Settings().dockerSocket
        }
    }
}
