import Foundation
import Logging

/// Where the JSONL history lives: the configured directory when it can be created and written, else a
/// per-user state directory (said once in the log).
public enum StorageDirectory {
    public static func resolve(configured: String, environment: [String: String], logger: Logger) -> String {
        if usable(configured) { return configured }
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
        _ = usable(fallback)
        return fallback
    }

    /// Creates the directory if needed and checks that a file can be written in it.
    static func usable(_ path: String) -> Bool {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            return false
        }
        let probe = path + "/.wakedock-write-test-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        close(fd)
        unlink(probe)
        return true
    }
}
