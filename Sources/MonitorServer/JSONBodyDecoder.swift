import Foundation
import Hummingbird

/// Every JSON request body is decoded here, once per request and in one place (the request context's decoder:
/// handlers call `request.decode(as:context:)`), with SPEC §4's answers: malformed JSON is a 400
/// `invalid_json`; JSON of the wrong shape or types a 422 naming the field.
///
/// The syntax is checked by JSONSerialization before JSONDecoder reads the fields: the decoder never looks at
/// values under keys no body declares (`{"retention_days": 3, "zz": -}` would be applied), and it reports some
/// wrong values of a valid body (`{"retention_days": 1.5}`, an integer out of range) as data corrupted at the
/// root, where a malformed document is reported too. Bodies are at most `maxBodyBytes`: the check costs little.
public struct JSONBodyDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        let data = Data(buffer.readableBytesView)
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw APIError.malformedJSON("Corps JSON invalide")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
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
