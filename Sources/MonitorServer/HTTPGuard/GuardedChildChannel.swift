import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// A Hummingbird child channel with the handlers that answer before any route placed right after NIO's request
/// decoder: `HTTPGuardHandler`, then `WebSocketAdmissionHandler` (so that an upgrade request meets the
/// admission before NIO's upgrade handler).
///
/// Hummingbird configures the HTTP pipeline itself (with NIO's error handling off: it answers parser errors only
/// after a WebSocket upgrade was ruled out, and never while the upgrade handler is deciding), so they are
/// slotted in once the inner channel has built its pipeline, before any byte is read.
struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let limits: HTTPGuardLimits
    let statistics: RequestStatistics
    let admission: WebSocketAdmission

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let requestLine = RequestLineRecord()
            try pipeline.addHandler(RequestLineSniffer(record: requestLine), position: .first)
            let guardHandler = HTTPGuardHandler(limits: limits, statistics: statistics, requestLine: requestLine, logger: logger)
            try pipeline.addHandler(guardHandler, position: .after(decoder))
            try pipeline.addHandler(WebSocketAdmissionHandler(admission: admission, logger: logger), position: .after(guardHandler))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
