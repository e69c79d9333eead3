import Hummingbird
import MonitorRuntime
import Logging

/// Turns every error a route or the router throws into the JSON error of SPEC §4: unknown routes (404),
/// oversized bodies (413), Hummingbird's own HTTP errors, and anything unexpected (500, logged). Nothing a
/// client sends reaches the process as an unhandled error.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as RuntimeError {
            throw APIError(error)
        } catch let error as any HTTPResponseError {
            throw Self.translate(error.status, request: request)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError(.internalServerError, "internal_error", "Erreur interne du serveur")
        }
    }

    static func translate(_ status: HTTPResponse.Status, request: Request) -> APIError {
        switch status {
        case .notFound:
            return .notFound("Route introuvable: \(request.method.rawValue) \(request.uri.path)")
        case .methodNotAllowed:
            return APIError(.methodNotAllowed, "method_not_allowed", "Méthode non autorisée: \(request.method.rawValue) \(request.uri.path)")
        case .contentTooLarge:
            return APIError(.contentTooLarge, "payload_too_large", "Corps de requête trop volumineux")
        case .badRequest:
            return .malformedJSON("Requête invalide")
        default:
            return APIError(status, "http_\(status.code)", status.reasonPhrase)
        }
    }
}
