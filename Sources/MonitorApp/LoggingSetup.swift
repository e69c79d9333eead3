import Logging
import MonitorSystemd

/// Process-wide logging: the systemd journal (native entries with fields) when it is there or asked for,
/// else stderr, one readable line per record, at the configured level. Each part of the daemon logs under
/// its own label below `wakedock.monitoring` (`….store`, `….alerts` …), which the journal keeps as
/// `LOGGER_LABEL`.
public enum LoggingSetup {
    static let rootLabel = "wakedock.monitoring"

    /// Installs the handler; returns the root logger and what `target` resolved to, with why.
    @discardableResult
    public static func bootstrap(level: Logger.Level, target: LogTarget = .stderr, environment: [String: String] = [:])
        -> (logger: Logger, target: LogTarget, reason: String)
    {
        let (resolved, reason) = LogTarget.resolve(target, environment: environment)
        LogTarget.bootstrap(resolved, level: level)
        var logger = Logger(label: rootLabel)
        logger.logLevel = level
        return (logger, resolved, reason)
    }

    /// A logger for one part of the daemon, at the root logger's level.
    public static func component(_ name: String, of root: Logger) -> Logger {
        var logger = Logger(label: rootLabel + "." + name)
        logger.logLevel = root.logLevel
        return logger
    }
}
