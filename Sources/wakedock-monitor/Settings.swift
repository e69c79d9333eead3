import Foundation
import Logging
import MonitorSystemd

/// Everything the daemon can be told, from `WAKEDOCK_*` environment variables and the flags that mirror
/// them (a flag beats its variable). Every value is validated before anything starts: a bad one stops
/// start-up with one line naming the variable (or flag) and the value; nothing silently falls back.
struct Settings: Sendable {
    var collectionInterval: Double = 5
    var retentionDays = 7
    var storagePath = "/var/log/wakedock/metrics"
    var persistInterval: Double?  // nil: the collection interval, never under a second (persistenceInterval)
    /// A history file is closed (then compressed) when it would grow past this.
    var maxFileBytes = 50_000_000
    var wsMaxClients = 100
    var wsPingInterval: Double = 30
    var wsClientTimeout: Double = 60
    /// Messages a WebSocket client may have waiting before it is dropped as too slow.
    var wsQueueSize = 1024
    var cpuWarning: Double = 70
    var cpuCritical: Double = 90
    var memoryWarning: Double = 80
    var memoryCritical: Double = 95
    /// Network thresholds, bytes per second (MB = 1024 × 1024 as the original).
    var networkRxWarning: Double = 100 * 1_048_576
    var networkRxCritical: Double = 500 * 1_048_576
    var networkTxWarning: Double = 100 * 1_048_576
    var networkTxCritical: Double = 500 * 1_048_576
    /// A level that persists is raised again after this many seconds.
    var alertCooldown: Double = 300
    /// A level ends below threshold × (1 − hysteresis).
    var alertHysteresis: Double = 0.1
    /// …once the value has stayed there this many seconds (a flapping value makes no storm).
    var alertClearDelay: Double = 5
    /// Alerts are POSTed to each of these.
    var webhookURLs: [String] = []
    var host = "127.0.0.1"
    var port = 8000
    var dockerSocket = "/var/run/docker.sock"
    var cgroupRoot = "/sys/fs/cgroup"
    var procRoot = "/proc"
    var logLevel: Logger.Level = .info
    /// Where log lines go: the journal when it is there (auto), or forced.
    var logTarget: LogTarget = .auto
    /// Samples kept in memory per container.
    var ringCapacity = 720
    /// Seconds a client has to send a complete request head (also the idle keep-alive time).
    var httpHeaderTimeout: Double = 10
    /// Seconds a client has to send a request's body once its head is in.
    var httpBodyTimeout: Double = 20

    /// A setting that failed validation: printed as one line, then the process exits with EX_CONFIG (78).
    struct Invalid: Error, CustomStringConvertible {
        let source: String
        let value: String
        let expected: String
        var description: String { "invalid \(source)=\"\(value)\": expected \(expected)" }
    }

    /// Reads the environment, then applies flag values (keyed by the variable they override).
    static func load(environment: [String: String], flags: [String: String?] = [:]) throws -> Settings {
        var reader = Reader(environment: environment, flags: flags.compactMapValues { $0 })
        var s = Settings()
        s.collectionInterval = try reader.seconds("WAKEDOCK_METRICS_INTERVAL", flag: "--interval", default: 5, range: 0.01...3600)
        s.retentionDays = try reader.integer("WAKEDOCK_METRICS_RETENTION_DAYS", flag: "--retention-days", default: 7, range: 1...3650)
        s.storagePath = try reader.path("WAKEDOCK_METRICS_STORAGE_PATH", flag: "--storage", default: s.storagePath)
        if reader.has("WAKEDOCK_PERSIST_INTERVAL") {
            s.persistInterval = try reader.seconds("WAKEDOCK_PERSIST_INTERVAL", flag: "--persist-interval", default: 5, range: 0.01...86400)
        }
        s.maxFileBytes = try reader.integer(
            "WAKEDOCK_METRICS_MAX_FILE_BYTES", flag: "--max-file-bytes", default: s.maxFileBytes, range: 4096...(1 << 40))
        s.wsMaxClients = try reader.integer("WAKEDOCK_WS_MAX_CLIENTS", flag: "--ws-max-clients", default: 100, range: 1...100_000)
        s.wsPingInterval = try reader.seconds("WAKEDOCK_WS_PING_INTERVAL", flag: "--ws-ping-interval", default: 30, range: 0.1...86400)
        s.wsClientTimeout = try reader.seconds("WAKEDOCK_WS_CLIENT_TIMEOUT", flag: "--ws-client-timeout", default: 60, range: 0.1...86400)
        s.wsQueueSize = try reader.integer("WAKEDOCK_WS_QUEUE_SIZE", flag: "--ws-queue-size", default: 1024, range: 1...1_000_000)
        s.cpuWarning = try reader.number("WAKEDOCK_CPU_WARNING_THRESHOLD", flag: "--cpu-warning", default: 70, range: 0...100_000)
        s.cpuCritical = try reader.number("WAKEDOCK_CPU_CRITICAL_THRESHOLD", flag: "--cpu-critical", default: 90, range: 0...100_000)
        s.memoryWarning = try reader.number("WAKEDOCK_MEMORY_WARNING_THRESHOLD", flag: "--memory-warning", default: 80, range: 0...100)
        s.memoryCritical = try reader.number("WAKEDOCK_MEMORY_CRITICAL_THRESHOLD", flag: "--memory-critical", default: 95, range: 0...100)
        try reader.requireOrdered(
            ("WAKEDOCK_CPU_WARNING_THRESHOLD", s.cpuWarning), ("WAKEDOCK_CPU_CRITICAL_THRESHOLD", s.cpuCritical))
        try reader.requireOrdered(
            ("WAKEDOCK_MEMORY_WARNING_THRESHOLD", s.memoryWarning), ("WAKEDOCK_MEMORY_CRITICAL_THRESHOLD", s.memoryCritical))
        for (direction, warning, critical) in [
            ("RX", \Settings.networkRxWarning, \Settings.networkRxCritical), ("TX", \Settings.networkTxWarning, \Settings.networkTxCritical),
        ] {
            let w = "WAKEDOCK_NETWORK_\(direction)_WARNING_THRESHOLD", c = "WAKEDOCK_NETWORK_\(direction)_CRITICAL_THRESHOLD"
            s[keyPath: warning] = try reader.number(w, flag: "--network-\(direction.lowercased())-warning", default: s[keyPath: warning], range: 0...1e15)
            s[keyPath: critical] = try reader.number(c, flag: "--network-\(direction.lowercased())-critical", default: s[keyPath: critical], range: 0...1e15)
            try reader.requireOrdered((w, s[keyPath: warning]), (c, s[keyPath: critical]))
        }
        s.alertCooldown = try reader.seconds("WAKEDOCK_ALERT_COOLDOWN", flag: "--alert-cooldown", default: 300, range: 0...86400)
        s.alertHysteresis = try reader.number("WAKEDOCK_ALERT_HYSTERESIS", flag: "--alert-hysteresis", default: 0.1, range: 0...0.9)
        s.alertClearDelay = try reader.seconds("WAKEDOCK_ALERT_CLEAR_DELAY", flag: "--alert-clear-delay", default: 5, range: 0...86400)
        s.webhookURLs = try reader.urls("WAKEDOCK_WEBHOOK_URLS", flag: "--webhook-url")
        s.host = try reader.text("WAKEDOCK_HOST", flag: "--host", default: s.host)
        s.port = try reader.integer("WAKEDOCK_PORT", flag: "--port", default: 8000, range: 0...65535)
        s.dockerSocket = try reader.dockerSocket()
        s.cgroupRoot = try reader.path("WAKEDOCK_CGROUP_ROOT", flag: "--cgroup-root", default: s.cgroupRoot)
        s.procRoot = try reader.path("WAKEDOCK_PROC_ROOT", flag: "--proc-root", default: s.procRoot)
        s.logLevel = try reader.logLevel()
        let target = try reader.text("WAKEDOCK_LOG_TARGET", flag: "--log-target", default: "auto")
        guard let parsed = LogTarget(rawValue: target) else {
            throw Invalid(source: reader.source(of: "WAKEDOCK_LOG_TARGET", flag: "--log-target"), value: target, expected: "auto, journal or stderr")
        }
        s.logTarget = parsed
        s.ringCapacity = try reader.integer("WAKEDOCK_MEMORY_SAMPLES", flag: "--memory-samples", default: 720, range: 1...1_000_000)
        s.httpHeaderTimeout = try reader.seconds("WAKEDOCK_HTTP_HEADER_TIMEOUT", flag: "--http-header-timeout", default: 10, range: 0.1...3600)
        s.httpBodyTimeout = try reader.seconds("WAKEDOCK_HTTP_BODY_TIMEOUT", flag: "--http-body-timeout", default: 20, range: 0.1...3600)
        return s
    }

    var intervalDuration: Duration { .seconds(saturating: collectionInterval) }

    /// Seconds between persisted samples: WAKEDOCK_PERSIST_INTERVAL, else the collection interval but never under
    /// 1 s (SPEC §7: sub-second collection does not multiply disk use).
    var persistenceInterval: Double { persistInterval ?? max(collectionInterval, 1) }

    /// Resolves one setting at a time: the flag when given, else the variable, else the default.
    struct Reader {
        let environment: [String: String]
        let flags: [String: String]

        func has(_ variable: String) -> Bool { flags[variable] != nil || environment[variable] != nil }

        /// The flag or variable a value came from, for error lines.
        func source(of variable: String, flag: String) -> String { flags[variable] != nil ? flag : variable }

        private func raw(_ variable: String, flag: String) -> (value: String, source: String)? {
            if let value = flags[variable] { return (value, flag) }
            if let value = environment[variable] { return (value, variable) }
            return nil
        }

        mutating func number(_ variable: String, flag: String, default value: Double, range: ClosedRange<Double>) throws -> Double {
            guard let (text, source) = raw(variable, flag: flag) else { return value }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let parsed = Double(trimmed), parsed.isFinite, range.contains(parsed) else {
                throw Invalid(source: source, value: text, expected: "a number from \(format(range.lowerBound)) to \(format(range.upperBound))")
            }
            return parsed
        }

        mutating func seconds(_ variable: String, flag: String, default value: Double, range: ClosedRange<Double>) throws -> Double {
            guard let (text, source) = raw(variable, flag: flag) else { return value }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let parsed = Double(trimmed), parsed.isFinite, range.contains(parsed) else {
                throw Invalid(source: source, value: text, expected: "seconds, a number from \(format(range.lowerBound)) to \(format(range.upperBound))")
            }
            return parsed
        }

        mutating func integer(_ variable: String, flag: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            guard let (text, source) = raw(variable, flag: flag) else { return value }
            guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(parsed) else {
                throw Invalid(source: source, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return parsed
        }

        mutating func text(_ variable: String, flag: String, default value: String) throws -> String {
            guard let (text, source) = raw(variable, flag: flag) else { return value }
            guard !text.isEmpty, !text.contains(where: \.isWhitespace) else {
                throw Invalid(source: source, value: text, expected: "a non-empty value without blanks")
            }
            return text
        }

        mutating func path(_ variable: String, flag: String, default value: String) throws -> String {
            guard let (text, source) = raw(variable, flag: flag) else { return value }
            guard text.hasPrefix("/"), !text.contains("\0") else {
                throw Invalid(source: source, value: text, expected: "an absolute path")
            }
            return text
        }

        func requireOrdered(_ warning: (String, Double), _ critical: (String, Double)) throws {
            guard warning.1 < critical.1 else {
                throw Invalid(
                    source: warning.0, value: format(warning.1),
                    expected: "a warning threshold below \(critical.0) (\(format(critical.1)))")
            }
        }

        /// WAKEDOCK_DOCKER_SOCKET, else DOCKER_HOST (unix:// only), else the default socket.
        mutating func dockerSocket() throws -> String {
            if let (text, source) = raw("WAKEDOCK_DOCKER_SOCKET", flag: "--docker-socket") {
                guard text.hasPrefix("/") else { throw Invalid(source: source, value: text, expected: "an absolute socket path") }
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
            return "/var/run/docker.sock"
        }

        /// A comma-separated list of http(s) URLs.
        mutating func urls(_ variable: String, flag: String) throws -> [String] {
            guard let (value, source) = raw(variable, flag: flag) else { return [] }
            let urls = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for url in urls {
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                    throw Invalid(source: source, value: value, expected: "comma-separated http:// or https:// URLs")
                }
            }
            return urls
        }

        mutating func logLevel() throws -> Logger.Level {
            guard let (text, source) = raw("WAKEDOCK_LOG_LEVEL", flag: "--log-level") else { return .info }
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw Invalid(
                    source: source, value: text,
                    expected: "one of " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return level
        }

        private func format(_ v: Double) -> String {
            v == v.rounded() && abs(v) < 1e15 ? String(Int64(saturating: v)) : String(v)
        }
    }
}
