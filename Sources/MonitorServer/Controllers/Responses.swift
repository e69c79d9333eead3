import Foundation
import Hummingbird
import NIOCore

extension Response {
    /// An Encodable answer as JSON (the hot answers — samples, `/containers` — are written by hand instead).
    static func encoded(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        .json(ByteBuffer(data: try encodeJSON(value)), status: status)
    }

    /// `{"message": "…"}`, the original's answer to a change.
    static func message(_ text: String) throws -> Response { try encoded(MessageJSON(message: text)) }
}
