import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// Answers a history query (samples or alerts) from its plan: memory and files merged newest first.
struct HistoryResponder: Sendable {
    let runtime: MonitoringRuntime
    /// Where history answers are computed (nil: inline, as in the in-process tests).
    let heavy: HeavyQueries?

    /// The two ways to ask: `GET` with query parameters, or `POST …/query` with the same fields as a JSON body.
    enum Asked {
        case queryParameters
        case body
    }

    /// Reads the query from `request` the way it was `asked`, within `limits`, then answers it from `plan`
    /// (samples or alerts), narrowed to the containers the caller's token lets it see.
    func respond(
        to request: Request, context: MonitorRequestContext, asked: Asked, limits: HistoryQuery.Limits,
        plan: @escaping @Sendable (HistoryRequest) throws -> HistoryPlan
    ) async throws -> Response {
        let query: HistoryQuery
        switch asked {
        case .queryParameters: query = try HistoryQuery(query: request.uri.queryParameters, limits: limits)
        case .body:
            query = try HistoryQuery(body: try await request.decode(as: HistoryQuery.Body.self, context: context), limits: limits)
        }
        var asked = query.request
        asked.visibility = context.access.visibility
        return try await respond(format: query.format) { [asked] in try plan(asked) }
    }

    /// A history answer: a JSON array, or JSONL streamed a chunk at a time (an export of a whole week never
    /// sits in memory). Planned, read and encoded on the heavy-query pool, a chunk at a time for a stream, so
    /// neither the HTTP tasks nor the collector ever wait on a file.
    func respond(
        format: HistoryQuery.Format, plan makePlan: @escaping @Sendable () throws -> HistoryPlan
    ) async throws -> Response {
        let precision = runtime.timestampPrecision
        let heavy = self.heavy
        let permit = try heavy?.admit(stream: format == .jsonl)
        @Sendable func onPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
            guard let heavy else { return try body() }
            return try await heavy.run(body)
        }
        switch format {
        case .json:
            let buffer = try await onPool { () throws -> ByteBuffer in
                let plan = try makePlan()
                let records = plan.records()
                var buffer = ByteBuffer()
                buffer.reserveCapacity(min(plan.limit, 1000) * 700 + 2)
                buffer.writeStaticString("[")
                var first = true
                while let item = records.next() {
                    if !first { buffer.writeStaticString(",") }
                    first = false
                    item.write(to: &buffer, precision: precision)
                }
                buffer.writeStaticString("]")
                return buffer
            }
            withExtendedLifetime(permit) {}
            return Response.json(buffer)
        case .jsonl:
            let plan = try await onPool { () throws -> HistoryPlan in try makePlan() }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    // The permit lives as long as the stream (or the unwritten response) does.
                    let held = permit
                    let records = try await onPool { UncheckedBox(plan.records()) }
                    while true {
                        let chunk = try await onPool { () -> ByteBuffer in
                            var buffer = ByteBuffer()
                            buffer.reserveCapacity(72 * 1024)
                            while buffer.readableBytes < 64 * 1024, let item = records.value.next() {
                                item.write(to: &buffer, precision: precision)
                                buffer.writeStaticString("\n")
                            }
                            return buffer
                        }
                        if chunk.readableBytes == 0 { break }
                        try await writer.write(chunk)
                    }
                    withExtendedLifetime(held) {}
                    try await writer.finish(nil)
                })
        }
    }
}

/// Hands a value that is used by one task at a time (a history reader moving between the pool's threads
/// chunk by chunk) across isolation boundaries.
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
