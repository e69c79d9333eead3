import CSystemd
import Logging

/// A swift-log handler that sends each record to the systemd journal as a native entry: `MESSAGE`,
/// `PRIORITY` (from the level), `SYSLOG_IDENTIFIER=wakedock-monitor`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`,
/// `LOGGER_LABEL` (`wakedock.monitoring.store` …) and every metadata key as an upper-case field, so that
/// `journalctl CONTAINER_NAME=web-server` finds a container's lines.
///
/// When the journal refuses an entry (a stale socket: -ECONNREFUSED), the line goes to stderr instead; it
/// is never lost.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    private var fallback: StreamLogHandler

    public static let identifier = "wakedock-monitor"

    public init(label: String) {
        self.label = label
        fallback = StreamLogHandler.standardError(label: label)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }

        var entry = JournalEntry()
        entry.add("MESSAGE", "\(event.message)")
        entry.add("PRIORITY", String(Self.priority(event.level)))
        entry.add("SYSLOG_IDENTIFIER", Self.identifier)
        entry.add("CODE_FILE", event.file)
        entry.add("CODE_LINE", String(event.line))
        entry.add("CODE_FUNC", event.function)
        entry.add("LOGGER_LABEL", label)
        entry.add("LOG_LEVEL", event.level.rawValue)
        if let error = event.error { entry.add("ERROR", "\(error)") }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            guard let field = Self.fieldName(key) else { continue }
            entry.add(field, "\(value)")
        }
        if entry.send() != 0 {
            var stderr = fallback
            stderr.logLevel = logLevel
            stderr.metadata = metadata
            stderr.log(event: event)
        }
    }

    /// syslog priorities: critical 2, error 3, warning 4, notice 5, info 6, debug and trace 7.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// A metadata key as a journal field name: upper case, [A-Z0-9_] only, not starting with `_` or a digit
    /// (those are the journal's own trusted fields), and not one of the fields this handler writes.
    static func fieldName(_ key: String) -> String? {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar)
            default: name.append("_")
            }
        }
        while name.hasPrefix("_") { name.removeFirst() }
        guard !name.isEmpty, name.count <= 64 else { return nil }
        if name.first!.isNumber { name = "M" + name }
        if reserved.contains(name) { name = "META_" + name }
        return name
    }

    static let reserved: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER_LABEL", "LOG_LEVEL",
        "ERROR", "MESSAGE_ID", "SYSLOG_FACILITY", "SYSLOG_PID",
    ]
}

/// The fields of one entry, laid out in one buffer for `sd_journal_sendv`.
struct JournalEntry {
    private var bytes: [CChar] = []
    private var offsets: [Int] = []
    private var lengths: [Int] = []

    mutating func add(_ name: String, _ value: String) {
        guard offsets.count < 128 else { return }
        let start = bytes.count
        bytes.append(contentsOf: name.utf8CString.dropLast())
        bytes.append(CChar(UInt8(ascii: "=")))
        bytes.append(contentsOf: value.utf8.map { CChar(bitPattern: $0) })
        offsets.append(start)
        lengths.append(bytes.count - start)
    }

    /// 0, or -errno.
    func send() -> Int32 {
        bytes.withUnsafeBufferPointer { b in
            offsets.withUnsafeBufferPointer { o in
                lengths.withUnsafeBufferPointer { l in
                    wd_journal_send(b.baseAddress, o.baseAddress, l.baseAddress, Int32(offsets.count))
                }
            }
        }
    }
}
