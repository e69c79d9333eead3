import CSystemd
import Glibc
import Logging

/// Where log lines go: the journal (native entries with fields) or stderr (one readable line each).
public enum LogTarget: String, Sendable, CaseIterable {
    /// The journal if it is there (its socket accepts datagrams, or stderr *is* the journal), else stderr.
    case auto
    case journal
    case stderr

    public static let journalSocket = "/run/systemd/journal/socket"

    /// What `auto` becomes on this machine now, and why (for the start-up line).
    public static func resolve(_ requested: LogTarget, environment: [String: String]) -> (LogTarget, reason: String) {
        switch requested {
        case .journal: return (.journal, "requested")
        case .stderr: return (.stderr, "requested")
        case .auto:
            if stderrIsTheJournal(environment["JOURNAL_STREAM"]) { return (.journal, "stderr is connected to the journal") }
            let check = wd_journal_socket_check(journalSocket)
            if check == 0 { return (.journal, "\(journalSocket) accepts datagrams") }
            return (.stderr, "\(journalSocket): \(String(cString: strerror(-check)))")
        }
    }

    /// `JOURNAL_STREAM=<device>:<inode>` names the stream systemd connected our stderr to; if fd 2 is still
    /// that stream, the journal is listening there (and native entries keep the fields).
    static func stderrIsTheJournal(_ value: String?) -> Bool {
        guard let parts = value?.split(separator: ":"), parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1])
        else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    /// Installs the process-wide handler for `target` (already resolved) at `level`.
    public static func bootstrap(_ target: LogTarget, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            switch target {
            case .journal:
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .auto, .stderr:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
