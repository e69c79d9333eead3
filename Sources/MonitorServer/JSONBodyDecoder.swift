import Foundation
import Hummingbird

/// Every JSON request body is decoded here, once (the request context's decoder: handlers call
/// `request.decode(as:context:)`), with SPEC §4's answers: malformed JSON is a 400 `invalid_json`; JSON of the
/// wrong shape or types a 422 naming the field. One parse: the decoder's own error tells malformed JSON (data
/// corrupted at the root: our bodies' fields report their own errors with their coding path) from a wrong
/// value.
public struct JSONBodyDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw APIError.malformedJSON("Corps JSON invalide")
        } catch let DecodingError.typeMismatch(_, context) {
            throw APIError.validation("Type invalide pour \(Self.fieldName(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError.validation("Champ requis manquant: \(key.stringValue)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw APIError.validation("Valeur manquante pour \(Self.fieldName(context.codingPath))")
        } catch let DecodingError.dataCorrupted(context) {
            throw APIError.validation("Valeur invalide pour \(Self.fieldName(context.codingPath)): \(context.debugDescription)")
        }
    }

    private static func fieldName(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "le corps" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
