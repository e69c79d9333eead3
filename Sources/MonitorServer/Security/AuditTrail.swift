import Hummingbird
import Logging
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import MonitorStore
import NIOCore

/// The audit trail (SPEC §10): every authenticated request and WebSocket subscription, and every refusal —
/// when, who (the token's subject, "-" without one), from where, what (method and route; never the query,
/// where a WebSocket's token may ride) and the answer's status. To the log (the journal, where each is a field:
/// `EVENT`, `SUBJECT`, `CLIENT`, `METHOD`, `ROUTE`, `STATUS`) and to `audit_YYYY-MM-DD.jsonl` beside the
/// history, rotated, gzipped and expired with it.
public final class AuditTrail: Sendable {
    public enum Event: String, Sendable {
        case request
        case refused
        case subscribe
    }

    private let logger: Logger
    private let store: (any HistoryStore)?

    public init(logger: Logger, store: (any HistoryStore)?) {
        self.logger = logger
        self.store = store
    }

    public func record(_ event: Event, subject: String, client: String, method: String, route: String, status: Int, stream: String? = nil) {
        let now = Clocks.wallNanos()
        var metadata: Logger.Metadata = [
            "event": "\(event.rawValue)", "subject": "\(subject)", "client": "\(client)", "method": "\(method)",
            "route": "\(route)", "status": "\(status)",
        ]
        if let stream { metadata["stream"] = "\(stream)" }
        logger.info("audit", metadata: metadata)
        guard let store else { return }
        var line = ByteBuffer()
        line.writeStaticString("{\"timestamp\":\"")
        line.writeRFC3339(nanos: now, precision: .milliseconds)
        line.writeStaticString("\",\"event\":")
        line.writeJSONString(event.rawValue)
        line.writeStaticString(",\"subject\":")
        line.writeJSONString(subject)
        line.writeStaticString(",\"client\":")
        line.writeJSONString(client)
        line.writeStaticString(",\"method\":")
        line.writeJSONString(method)
        line.writeStaticString(",\"route\":")
        line.writeJSONString(route)
        line.writeStaticString(",\"status\":")
        line.writeString(String(status))
        if let stream {
            line.writeStaticString(",\"stream\":")
            line.writeJSONString(stream)
        }
        line.writeStaticString("}")
        store.persist(auditLine: line, timestampNanos: now)
    }
}

/// Records every request a token let through, with the status it got (inside `AccessMiddleware`, so the grant
/// is known; errors are still thrown, `ErrorMiddleware` shapes them further out).
struct AuditMiddleware: RouterMiddleware {
    typealias Context = MonitorRequestContext
    let audit: AuditTrail

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.access.isAuthenticated else { return try await next(request, context) }
        func record(_ status: HTTPResponse.Status) {
            audit.record(
                .request, subject: context.access.subject, client: context.clientAddress, method: request.method.rawValue,
                route: request.uri.path, status: status.code)
        }
        do {
            let response = try await next(request, context)
            record(response.status)
            return response
        } catch let error as any HTTPResponseError {
            record(error.status)
            throw error
        } catch let error as RuntimeError {
            record(APIError(error).status)
            throw error
        } catch {
            record(.internalServerError)
            throw error
        }
    }
}
