import Logging

/// Process-wide logging: stderr, one line per record, at the configured level.
enum LoggingSetup {
    static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "wakedock.monitoring")
        logger.logLevel = level
        return logger
    }
}
