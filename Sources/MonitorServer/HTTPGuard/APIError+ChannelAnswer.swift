import HTTPTypes
import MonitorEncoding
import NIOCore
import NIOHTTP1

extension APIError {
    /// `{"error": "<code>", "detail": "<sentence>"}`.
    func jsonBody(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var body = allocator.buffer(capacity: 96)
        body.writeStaticString("{\"error\":")
        body.writeJSONString(code)
        body.writeStaticString(",\"detail\":")
        body.writeJSONString(detail)
        body.writeStaticString("}")
        return body
    }

    /// The error as NIO's response parts, for the channel handlers that answer before any route (the HTTP guard,
    /// the WebSocket admission): its status and headers, the JSON body, and `Connection: close`.
    func closingAnswer(allocator: ByteBufferAllocator) -> (head: HTTPResponseHead, body: ByteBuffer) {
        let body = jsonBody(allocator: allocator)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json; charset=utf-8")
        headers.add(name: "content-length", value: String(body.readableBytes))
        for field in self.headers { headers.add(name: field.name.canonicalName, value: field.value) }
        headers.add(name: "connection", value: "close")
        return (HTTPResponseHead(version: .http1_1, status: .init(statusCode: status.code), headers: headers), body)
    }
}
