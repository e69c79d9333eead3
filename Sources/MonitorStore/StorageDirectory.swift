import Foundation
import Logging

/// Where the JSONL history lives: the configured directory when it can be created and written, else a
/// per-user state directory (said once in the log). Everything stored there (metrics, alerts, rolled-up steps,
/// audit, thresholds) is the owner's only: files `fileMode`, directories `directoryMode` (SPEC §10), and a
/// directory or file found open to others is closed at start.
public enum StorageDirectory {
    public static let fileMode: mode_t = 0o600
    public static let directoryMode: mode_t = 0o700

    public static func resolve(configured: String, environment: [String: String], logger: Logger) -> String {
        if usable(configured) {
            restrict(configured, logger: logger)
            return configured
        }
        let fallback: String
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            fallback = state + "/wakedock/metrics"
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            fallback = home + "/.local/state/wakedock/metrics"
        } else {
            fallback = "/tmp/wakedock-\(getuid())/metrics"
        }
        logger.warning(
            "storage directory unusable; writing history to the per-user state directory instead",
            metadata: ["configured": "\(configured)", "storage_path": "\(fallback)"])
        if usable(fallback) { restrict(fallback, logger: logger) }
        return fallback
    }

    /// The directory and the files in it made the owner's only (what earlier versions wrote was 0644).
    static func restrict(_ path: String, logger: Logger) {
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
            if chmod(path, directoryMode) == 0 {
                logger.notice("storage directory made owner-only", metadata: ["storage_path": "\(path)", "mode": "0700"])
            } else {
                logger.warning("storage directory is open to other users and cannot be changed", metadata: ["storage_path": "\(path)"])
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            let file = path + "/" + name
            if lstat(file, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_mode & 0o077 != 0 { chmod(file, fileMode) }
        }
    }

    /// Creates the directory if needed and checks that a file can be written in it.
    static func usable(_ path: String) -> Bool {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(directoryMode)])
        } catch {
            return false
        }
        let probe = path + "/.wakedock-write-test-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, fileMode)
        guard fd >= 0 else { return false }
        close(fd)
        unlink(probe)
        return true
    }
}
