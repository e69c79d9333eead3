import Logging

/// The server's logger, less one false alarm: Hummingbird logs "Error handling upgrade result" at error level
/// whenever a connection closes before its first request reached the WebSocket upgrade decision — which is
/// exactly what the HTTP guard does to every first request it refuses or times out (those are counted and
/// logged by the guard itself, at info). Left at error level, any client could flood the journal with them.
struct DemotedUpgradeErrors: LogHandler {
    var inner: any LogHandler

    static func wrapping(_ logger: Logger) -> Logger {
        var wrapped = Logger(label: logger.label) { _ in DemotedUpgradeErrors(inner: logger.handler) }
        wrapped.logLevel = logger.logLevel
        return wrapped
    }

    func log(event: LogEvent) {
        var event = event
        if event.level == .error, event.message.description == "Error handling upgrade result" {
            guard inner.logLevel <= .debug else { return }
            event.level = .debug
        }
        inner.log(event: event)
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
}
