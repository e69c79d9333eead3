import HTTPTypes
import Logging
import MonitorSecurity
import NIOCore
import NIOHTTP1

/// Sits between the HTTP guard and NIO's upgrade handler, and holds back a connection's first request when it
/// asks for a WebSocket on the stream's path until `WebSocketAdmission` has decided:
/// - refused: answers the JSON error of SPEC §4 itself (401, 403 or 429, with `WWW-Authenticate` or
///   `Retry-After`, and `Connection: close`, on which the guard closes the connection lingering); NIO's
///   upgrader never sees the request. (Left to NIO, a refused upgrade can only be Hummingbird's bare 400.)
/// - admitted: passes the request on and keeps the grant until the upgrade decision takes it (`take(_:)`),
///   which also takes this handler out of the pipeline before the handshake's bytes turn into frames.
/// Any other first request passes through, and the handler leaves: NIO upgrades only a connection's first
/// request, so later ones are the routes' business (and `AccessMiddleware`'s).
final class WebSocketAdmissionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case waitingForFirstRequest
        /// The request's parts held while the admission decides, and whether the client half-closed meanwhile.
        case deciding(held: [NIOAny], inputClosed: Bool)
        /// Passing everything on; the grant waits for the upgrade decision.
        case admitted(AccessGrant)
        /// Answered: what still comes in is dropped.
        case refused
    }

    /// The parser stops after an upgrade request's head and end, so what is held is those and a body's chunks:
    /// more than this is not a handshake, and the connection is closed rather than buffered.
    private static let maxHeldParts = 64

    private let admission: WebSocketAdmission
    private let logger: Logger
    private var state = State.waitingForFirstRequest
    /// A read asked for while deciding, issued once decided: the client's next bytes wait in the kernel.
    private var readPending = false

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
            // The rest of the refused request (a slow client's end, a body): NIO's upgrader must never see a part
            // without its head. (Once the answer is out, the guard in front drops it anyway.)
            return
        case .deciding(var held, let inputClosed):
            guard held.count < Self.maxHeldParts else {
                state = .refused
                return context.close(promise: nil)
            }
            held.append(data)
            state = .deciding(held: held, inputClosed: inputClosed)
        case .waitingForFirstRequest:
            guard case .head(let head) = unwrapInboundIn(data), Self.asksForTheStream(head) else {
                context.fireChannelRead(data)
                return context.pipeline.syncOperations.removeHandler(self, promise: nil)
            }
            state = .deciding(held: [data], inputClosed: false)
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

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .deciding = state { return }
        context.fireChannelReadComplete()
    }

    /// A client may send the handshake and half-close at once: NIO's upgrader, not having seen the request yet,
    /// would close the connection on that, so it waits with the request.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .deciding(let held, _) = state, let event = event as? ChannelEvent, event == .inputClosed {
            state = .deciding(held: held, inputClosed: true)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if case .deciding = state {
            readPending = true
            return
        }
        context.read()
    }

    private func decided(_ decision: Result<AccessGrant, APIError>, context: ChannelHandlerContext) {
        guard case .deciding(let held, let inputClosed) = state, context.channel.isActive else { return }
        switch decision {
        case .success(let grant):
            state = .admitted(grant)
            for part in held { context.fireChannelRead(part) }
            context.fireChannelReadComplete()
            if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        case .failure(let error):
            // The output side is still open when the client half-closed: the answer goes out all the same.
            state = .refused
            let (head, body) = error.closingAnswer(allocator: context.channel.allocator)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        }
        if readPending {
            readPending = false
            context.read()
        }
    }

    /// A first request NIO's upgrader would try to make a WebSocket (it looks for `Upgrade: websocket` alone,
    /// whatever the method, `Connection` or path), to the stream's path. One to another path passes on and
    /// meets the upgrade decision without a grant: Hummingbird's 400, as any other path gets.
    static func asksForTheStream(_ head: HTTPRequestHead) -> Bool {
        guard head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
                == MonitorServer.webSocketPath
        else { return false }
        return head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
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
