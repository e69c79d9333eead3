import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import NIOCore

/// `GET /thresholds`, `PUT` and `DELETE /thresholds/{metric_type}`: the thresholds in force and their
/// per-service and per-container overrides, saved so that they survive a restart.
struct ThresholdsController: Sendable {
    let backend: MonitorBackend

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("thresholds", use: list)
        routes.put("thresholds/:metric_type", use: set)
        routes.delete("thresholds/:metric_type", use: removeOverride)
        return routes
    }

    @Sendable func list(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try Response.encoded(ThresholdsJSON(thresholds: thresholdsJSON(), overrides: overridesJSON()))
    }

    @Sendable func set(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let name = context.parameters.get("metric_type") ?? ""
        guard let metric = MetricType(rawValue: name) else {
            throw APIError.notFound("Type de métrique inconnu: \(name)")
        }
        let body = try await request.decode(as: ThresholdBody.self, context: context)
        if let declared = body.metric_type, declared != name {
            throw APIError.validation("metric_type du corps (\(declared)) différent du chemin (\(name))")
        }
        let threshold = try Self.validated(body)
        let scope = try scope(service: body.service_name, container: body.container_id)
        backend.thresholds.set(threshold, for: metric, scope: scope)
        let failure = backend.saveThresholds(scope == .global ? [metric] : [])
        var echoed = body
        echoed.metric_type = name
        echoed.enabled = threshold.enabled
        echoed.duration = threshold.duration
        if case .container(let id) = scope { echoed.container_id = id }
        return try Response.encoded(
            ThresholdUpdatedJSON(message: "Seuil \(name) mis à jour avec succès", threshold: echoed, persisted: failure == nil))
    }

    @Sendable func removeOverride(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let name = context.parameters.get("metric_type") ?? ""
        guard let metric = MetricType(rawValue: name) else {
            throw APIError.notFound("Type de métrique inconnu: \(name)")
        }
        let query = request.uri.queryParameters
        let scope = try scope(service: query["service_name"].map(String.init), container: query["container_id"].map(String.init))
        guard scope != .global else {
            throw APIError.validation("Seul un seuil propre à un service (service_name) ou à un conteneur (container_id) peut être supprimé")
        }
        guard backend.thresholds.removeOverride(for: metric, scope: scope) else {
            throw APIError.notFound("Aucun seuil \(name) propre à ce service ou conteneur")
        }
        _ = backend.saveThresholds([])
        return try Response.message("Seuil \(name) supprimé avec succès")
    }

    func thresholdsJSON() -> [String: ThresholdJSON] {
        var out: [String: ThresholdJSON] = [:]
        for (metric, t) in backend.thresholds.all {
            out[metric.rawValue] = ThresholdJSON(
                warning: t.warning, critical: t.critical, enabled: t.enabled, duration: t.duration > 0 ? t.duration : nil)
        }
        return out
    }

    func overridesJSON() -> [ThresholdOverrideJSON] {
        var out: [ThresholdOverrideJSON] = []
        for (scope, table) in backend.thresholds.overrides {
            for (metric, t) in table {
                var item = ThresholdOverrideJSON(
                    metric_type: metric.rawValue, warning: t.warning, critical: t.critical, enabled: t.enabled, duration: t.duration)
                switch scope {
                case .global: continue
                case .service(let name): item.service_name = name
                case .container(let id): item.container_id = id
                }
                out.append(item)
            }
        }
        return out.sorted { ($0.metric_type, $0.service_name ?? "", $0.container_id ?? "") < ($1.metric_type, $1.service_name ?? "", $1.container_id ?? "") }
    }

    /// The scope a threshold body or query names: a service, a live container (by id, prefix or name, stored
    /// by full id), or everywhere.
    func scope(service: String?, container: String?) throws(APIError) -> ThresholdScope {
        let service = service?.isEmpty == true ? nil : service
        let container = container?.isEmpty == true ? nil : container
        switch (service, container) {
        case (nil, nil): return .global
        case (let name?, nil): return .service(name)
        case (nil, let ref?):
            guard let series = try resolveContainer(ref, in: backend.registry) else {
                throw APIError.notFound("Conteneur introuvable: \(ref)")
            }
            return .container(series.identity.id)
        case (_?, _?):
            throw APIError.validation("service_name et container_id ne peuvent être donnés ensemble")
        }
    }

    static func validated(_ body: ThresholdBody) throws -> Threshold {
        let threshold = Threshold(
            warning: body.warning_threshold, critical: body.critical_threshold, enabled: body.enabled ?? true,
            duration: body.duration ?? 0)
        if let failure = threshold.validationFailure {
            throw threshold.warning >= threshold.critical && failure.hasPrefix("Le seuil")
                ? APIError(.badRequest, "invalid_threshold", failure) : APIError.validation(failure)
        }
        return threshold
    }

}
