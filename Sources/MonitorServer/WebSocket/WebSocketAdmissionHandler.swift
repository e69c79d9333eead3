import HTTPTypes
import Logging
import MonitorSecurity
import NIOCore
import NIOHTTP1

/// Sits between the HTTP guard and NIO's upgrade handler, and holds back a connection's first request when it
/// asks for a WebSocket on the stream's path until `WebSocketAdmission` has decided:
/// - refused: answers the JSON error of SPEC §4 itself (401, 403 or 429, with `WWW-Authenticate` or
///   `Retry-After`) and closes the connection; NIO's upgrader never sees the request. (Left to NIO, a refused
///   upgrade can only be Hummingbird's bare 400.)
/// - admitted: passes the request on and keeps the grant until the upgrade decision takes it (`take(_:)`),
///   which also takes this handler out of the pipeline before the handshake's bytes turn into frames.
/// Any other first request passes through, and the handler leaves: NIO upgrades only a connection's first
/// request, so later ones are the routes' business (and `AccessMiddleware`'s).
final class WebSocketAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case waitingForFirstRequest
        /// The request's parts (and anything pipelined after it) held while the admission decides.
        case deciding(held: [NIOAny])
        /// Passing everything on; the grant waits for the upgrade decision.
        case admitted(AccessGrant)
        /// Answered and closing: what still comes in is dropped.
        case refused
    }

    /// More than a handshake and a few pipelined requests' parts while deciding: not a browser; the connection
    /// is closed rather than buffered.
    private static let maxHeldParts = 64

    private let admission: WebSocketAdmission
    private let logger: Logger
    private var state = State.waitingForFirstRequest

    init(admission: WebSocketAdmission, logger: Logger) {
        self.admission = admission
        self.logger = logger
    }

    /// The grant of the admitted request on `channel`, taking the handler out of its pipeline; nil when no
    /// admitted request is there (then the upgrade must not go ahead). On the channel's event loop.
    static func take(_ channel: any Channel) -> AccessGrant? {
        let pipeline = channel.pipeline.syncOperations
        guard let handler = try? pipeline.handler(type: WebSocketAdmissionHandler.self) else { return nil }
        pipeline.removeHandler(handler, promise: nil)
        guard case .admitted(let grant) = handler.state else { return nil }
        return grant
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .admitted:
            context.fireChannelRead(data)
        case .refused:
            return
        case .deciding(var held):
            guard held.count < Self.maxHeldParts else {
                state = .refused
                return context.close(promise: nil)
            }
            held.append(data)
            state = .deciding(held: held)
        case .waitingForFirstRequest:
            guard case .head(let head) = unwrapInboundIn(data), Self.asksForTheStream(head) else {
                context.fireChannelRead(data)
                return context.pipeline.syncOperations.removeHandler(self, promise: nil)
            }
            state = .deciding(held: [data])
            let admission = self.admission
            let logger = self.logger
            let fields = Self.fields(of: head.headers)
            let target = head.uri
            let client = context.channel.remoteAddress.map(MonitorRequestContext.describe) ?? "-"
            context.eventLoop.makeFutureWithTask {
                await admission.admit(fields, target: target, client: client, logger: logger)
            }.assumeIsolated().whenSuccess { [self] decision in
                self.decided(decision, context: context)
            }
        }
    }

    private func decided(_ decision: Result<AccessGrant, APIError>, context: ChannelHandlerContext) {
        guard case .deciding(let held) = state, context.channel.isActive else { return }
        switch decision {
        case .success(let grant):
            state = .admitted(grant)
            for part in held { context.fireChannelRead(part) }
            context.fireChannelReadComplete()
        case .failure(let error):
            state = .refused
            answer(error, context: context)
        }
    }

    /// The error's JSON answer, then the connection's end once it is written (the handshake has no body, so
    /// nothing unread is left to turn the close into a reset).
    private func answer(_ error: APIError, context: ChannelHandlerContext) {
        let (head, body) = error.closingAnswer(allocator: context.channel.allocator)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// What NIO's upgrader would try to upgrade: `Connection: upgrade` and `Upgrade: websocket`, to our path.
    static func asksForTheStream(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .GET,
            head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
                == MonitorServer.webSocketPath
        else { return false }
        let connection = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
        let upgrade = head.headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        return connection.contains("upgrade") && upgrade.contains("websocket")
    }

    /// NIO's header list as HTTP types' fields (what `BearerToken` reads); a name HTTP types refuses is left out.
    private static func fields(of headers: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return fields
    }
}
