import Hummingbird
import MonitorRuntime
import NIOCore

/// An error as SPEC §4 answers it: a status and a JSON body `{"error": "<code>", "detail": "<sentence>"}`
/// (`detail` is what the original's clients read).
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }

    public static func validation(_ detail: String) -> APIError { APIError(.unprocessableContent, "validation_error", detail) }
    public static func malformedJSON(_ detail: String) -> APIError { APIError(.badRequest, "invalid_json", detail) }
    public static func notFound(_ detail: String) -> APIError { APIError(.notFound, "not_found", detail) }

    /// The runtime's refusal, with its status: 422, 404, or the original's 400 for a threshold out of order.
    public init(_ error: RuntimeError) {
        switch error {
        case .invalid(let detail): self = .validation(detail)
        case .notFound(let detail): self = .notFound(detail)
        case .invalidThreshold(let detail): self.init(.badRequest, "invalid_threshold", detail)
        case .forbidden(let detail): self.init(.forbidden, "forbidden", detail)
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(jsonBody(), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension Response {
    /// A JSON body already written into a buffer.
    static func json(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: buffer))
    }
}
