import Logging
import MonitorCore
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Limits that keep one client from holding the server's resources: how long a request's head and body may
/// take to arrive, how long a response may wait on a reader that does not read, and the largest body.
public struct HTTPGuardLimits: Sendable {
    /// From accepting a connection (or finishing the previous response) to a complete request head. Covers
    /// idle keep-alive connections and slowloris alike.
    public var headerTimeout: Duration
    /// From a request head to the end of its body.
    public var bodyTimeout: Duration
    /// How long the connection may stay unwritable (a client that stopped reading) before it is closed.
    public var writeTimeout: Duration
    /// Bodies are small JSON documents: a larger one is refused with 413 before it is read.
    public var maxBodyBytes: Int
    /// After an answer that ends the connection, the client's unread bytes are read and dropped for at most
    /// this long before the socket is closed, so the client sees the answer instead of a reset.
    public var lingerTimeout: Duration

    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(20),
        writeTimeout: Duration = .seconds(30), maxBodyBytes: Int = 64 * 1024, lingerTimeout: Duration = .seconds(2)
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.writeTimeout = writeTimeout
        self.maxBodyBytes = maxBodyBytes
        self.lingerTimeout = lingerTimeout
    }
}

/// Sits right after NIO's HTTP request decoder and answers, on the event loop, everything that must never reach
/// the application or be met with silence:
/// - a request the parser refuses gets 400 (431 for oversized heads, 501 for unknown methods, 505 for other
///   HTTP versions) with the JSON error body of SPEC §4, then the connection is closed;
/// - a body larger than the limit gets 413 — at once when Content-Length says so — and a lingering close;
/// - `Expect: 100-continue` is answered with 100 (or the 413);
/// - HTTP/1.0 without keep-alive (or `Connection: close`) is closed after its answer;
/// - header, body and write time-outs close connections that hold resources without making progress.
/// When a WebSocket upgrade really goes ahead, the server's upgrade decision takes it out of the pipeline
/// (`leave(_:)`) before NIO hands on any frame: frames are not its business.
final class HTTPGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: HTTPGuardLimits
    private let logger: Logger
    private let statistics: RequestStatistics
    /// The raw start of the current request, to tell parser errors apart.
    private let requestLine: RequestLineRecord

    /// One entry per request passed on whose response has not ended, oldest first: whether the connection
    /// closes after that response (pipelined requests each keep their own wish).
    private var owed: [Bool] = []
    /// A response head was written and its end not yet.
    private var responseInFlight = false
    /// Reading a request's body (between its head and its end).
    private var readingBody = false
    private var bodyBytes = 0
    /// The guard refused something and drops whatever the client still sends until the socket closes.
    private var discarding = false
    /// The guard wrote an answer of its own: a late one from the route must not follow it on the wire.
    private var answered = false
    private var readTimer: Scheduled<Void>?
    private var writeTimer: Scheduled<Void>?
    private var lingerTimer: Scheduled<Void>?

    init(limits: HTTPGuardLimits, statistics: RequestStatistics, requestLine: RequestLineRecord, logger: Logger) {
        self.requestLine = requestLine
        self.limits = limits
        self.statistics = statistics
        self.logger = logger
    }

    /// Takes the guard (and its request-line sniffer) out of a channel's pipeline: called on the event loop by
    /// the upgrade decision when a WebSocket upgrade goes ahead, before NIO removes the HTTP decoder (which
    /// hands the bytes after the handshake on as raw frames, through the guard's place).
    static func leave(_ channel: any Channel) {
        let pipeline = channel.pipeline.syncOperations
        if let guardHandler = try? pipeline.handler(type: HTTPGuardHandler.self) {
            guardHandler.cancelTimers()
            pipeline.removeHandler(guardHandler, promise: nil)
        }
        if let sniffer = try? pipeline.handler(type: RequestLineSniffer.self) {
            pipeline.removeHandler(sniffer, promise: nil)
        }
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armReadTimer(context, limits.headerTimeout, reason: "header") }
    }

    func channelActive(context: ChannelHandlerContext) {
        armReadTimer(context, limits.headerTimeout, reason: "header")
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    private func cancelTimers() {
        readTimer?.cancel()
        readTimer = nil
        writeTimer?.cancel()
        writeTimer = nil
        lingerTimer?.cancel()
        lingerTimer = nil
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if discarding { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            bodyBytes = 0
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > limits.maxBodyBytes {
                return refuse(context, status: .payloadTooLarge, code: "payload_too_large", detail: "Corps de requête trop volumineux")
            }
            if let expect = head.headers.first(name: "expect"), expect.lowercased() != "100-continue" {
                return refuse(context, status: .expectationFailed, code: "expectation_failed", detail: "Expect non pris en charge: \(expect)")
            }
            readingBody = true
            owed.append(!head.isKeepAlive)
            armReadTimer(context, limits.bodyTimeout, reason: "body")
            if head.headers.first(name: "expect") != nil, owed.count == 1, !responseInFlight {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            context.fireChannelRead(data)
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            guard bodyBytes <= limits.maxBodyBytes else {
                // A chunked body that grew past the limit: the part that crosses it never reaches the route.
                return refuse(
                    context, status: .payloadTooLarge, code: "payload_too_large", detail: "Corps de requête trop volumineux",
                    currentRequestPassedOn: true)
            }
            context.fireChannelRead(data)
        case .end:
            readingBody = false
            readTimer?.cancel()
            readTimer = nil
            context.fireChannelRead(data)
            // The route may have answered before the body was in (a 404 does): then the connection is idle now.
            if owed.isEmpty { armIdleTimer(context) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            if discarding { return }  // the decoder complaining about bytes we no longer care for
            if error is ByteToMessageDecoderError { return close(context) }
            context.fireErrorCaught(error)
            return
        }
        if discarding { return }
        let (status, detail) = Self.answer(to: parserError, requestLine: requestLine)
        statistics.malformed.increment()
        logger.info(
            "malformed HTTP request refused",
            metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(parserError)", "status": "\(status.code)"])
        // The parser cannot go on after an error: whatever else the client sends is dropped.
        refuse(
            context, status: status, code: status == .badRequest ? "bad_request" : "http_\(status.code)", detail: detail,
            currentRequestPassedOn: readingBody)
    }

    /// The status that answers a parser error, as RFC 9110/9112 name them: 501 only for a well-formed method
    /// we do not know, 505 only for a well-formed version other than 1.x, 431 for heads over the limit, 400
    /// for everything else (garbage, bare line feeds, bad lengths or chunks).
    static func answer(to error: HTTPParserError, requestLine: RequestLineRecord) -> (HTTPResponseStatus, String) {
        let malformed: (HTTPResponseStatus, String) = (.badRequest, "Requête HTTP mal formée")
        switch error {
        case .headerOverflow:
            return (.requestHeaderFieldsTooLarge, "En-têtes de requête trop volumineux")
        case .invalidMethod:
            guard let line = requestLine.requestLine, RequestLineRecord.isToken(line.method) else { return malformed }
            return (.notImplemented, "Méthode HTTP non prise en charge")
        case .invalidVersion:
            guard let line = requestLine.requestLine, !line.bareLF, line.version.starts(with: "HTTP/".utf8), line.version.count == 8,
                !line.version.elementsEqual("HTTP/1.0".utf8), !line.version.elementsEqual("HTTP/1.1".utf8)
            else { return malformed }
            return (.httpVersionNotSupported, "Version HTTP non prise en charge (HTTP/1.0 ou HTTP/1.1)")
        default:
            return malformed
        }
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if answered {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if head.status.code < 200 { return context.write(data, promise: promise) }
            responseInFlight = true
            // An answer that says it ends the connection (the WebSocket admission's refusals) ends it, lingering.
            if !owed.isEmpty, head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
                owed[0] = true
            }
            if owed.first == true || (discarding && owed.count <= 1) {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                return context.write(wrapOutboundOut(.head(head)), promise: promise)
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responseInFlight = false
            let closes = (owed.isEmpty ? false : owed.removeFirst()) || (discarding && owed.isEmpty)
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            if closes {
                context.writeAndFlush(data, promise: written)
                linger(context, after: written.futureResult)
                return
            }
            context.write(data, promise: written)
            if owed.isEmpty && !readingBody {
                // Idle from the moment the answer is out, not when it is queued: a slow reader is the write
                // time-out's business.
                written.futureResult.assumeIsolated().whenSuccess { [weak self] in
                    guard let self, self.owed.isEmpty, !self.readingBody, !self.discarding else { return }
                    self.armIdleTimer(context)
                }
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeTimer?.cancel()
            writeTimer = nil
        } else if writeTimer == nil {
            let timeout = TimeAmount(limits.writeTimeout)
            writeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                guard let self else { return }
                self.statistics.timedOut.increment()
                self.logger.debug("HTTP client stopped reading; connection closed", metadata: ["timeout": "\(timeout)"])
                self.close(context)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Answers and closing

    /// Answers with an error of SPEC §4, then closes lingering — unless responses to earlier requests are still
    /// owed (pipelining): the answer could not be told apart from theirs, so the connection closes after them.
    private func refuse(
        _ context: ChannelHandlerContext, status: HTTPResponseStatus, code: String, detail: String,
        currentRequestPassedOn: Bool = false
    ) {
        discarding = true
        readTimer?.cancel()
        readTimer = nil
        if status == .payloadTooLarge { statistics.tooLarge.increment() }
        let owedBefore = owed.count - (currentRequestPassedOn ? 1 : 0)
        guard owedBefore == 0, !responseInFlight else {
            if !owed.isEmpty { owed[owed.count - 1] = true }
            // A route still waiting for the body it will never get must not hold the connection for ever.
            armReadTimer(context, limits.bodyTimeout, reason: "body")
            return
        }
        let (head, body) = APIError(HTTPResponse.Status(code: Int(status.code)), code, detail)
            .closingAnswer(allocator: context.channel.allocator)
        answered = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let ended = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: ended)
        linger(context, after: ended.futureResult)
    }

    /// Once the answer is out: half-closes, drops what the client still sends, and closes for good when it hangs
    /// up or the linger time is over (closing with unread data would send a reset that can destroy the answer
    /// before the client reads it). A reader too slow to take the answer is the write time-out's business.
    private func linger(_ context: ChannelHandlerContext, after written: EventLoopFuture<Void>) {
        discarding = true
        readTimer?.cancel()
        readTimer = nil
        let limits = self.limits
        written.assumeIsolated().whenComplete { [weak self] _ in
            guard let self, self.lingerTimer == nil else { return }
            context.close(mode: .output, promise: nil)
            self.lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.lingerTimeout)) { [weak self] in
                self?.close(context)
            }
        }
    }

    private func close(_ context: ChannelHandlerContext) {
        cancelTimers()
        context.close(promise: nil)
    }

    /// (Re)starts the read deadline: the head, the body, or the next request of an idle connection must arrive
    /// before it.
    private func armReadTimer(_ context: ChannelHandlerContext, _ timeout: Duration, reason: String) {
        readTimer?.cancel()
        readTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self else { return }
            self.readTimer = nil
            if reason != "idle" { self.statistics.timedOut.increment() }
            self.logger.debug("HTTP \(reason) time-out; connection closed", metadata: ["timeout": "\(timeout)"])
            self.close(context)
        }
    }

    /// Waiting for the next request of a keep-alive connection: the header time-out again.
    private func armIdleTimer(_ context: ChannelHandlerContext) {
        requestLine.reset()
        armReadTimer(context, limits.headerTimeout, reason: "idle")
    }
}
