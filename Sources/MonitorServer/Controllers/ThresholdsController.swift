import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// `GET /thresholds`, `PUT` and `DELETE /thresholds/{metric_type}`: the thresholds in force and their
/// per-service and per-container overrides, saved so that they survive a restart.
struct ThresholdsController: Sendable {
    let runtime: MonitoringRuntime

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("thresholds", use: list)
        routes.put("thresholds/:metric_type", use: set)
        routes.delete("thresholds/:metric_type", use: removeOverride)
        return routes
    }

    @Sendable func list(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        try Response.encoded(ThresholdsJSON(thresholds: thresholdsJSON(), overrides: overridesJSON(visibility: context.access.visibility)))
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
        let threshold = body.threshold
        // Its values before its scope, as the original answers (setThreshold checks them again, for other callers).
        try runtime.validate(threshold)
        let scope = try runtime.thresholdScope(
            service: body.service_name, container: body.container_id, visibility: context.access.visibility)
        let persisted = try runtime.setThreshold(threshold, for: metric, scope: scope)
        var echoed = body
        echoed.metric_type = name
        echoed.enabled = threshold.enabled
        echoed.duration = threshold.duration
        if case .container(let id) = scope { echoed.container_id = id }
        return try Response.encoded(
            ThresholdUpdatedJSON(message: "Seuil \(name) mis à jour avec succès", threshold: echoed, persisted: persisted))
    }

    @Sendable func removeOverride(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let name = context.parameters.get("metric_type") ?? ""
        guard let metric = MetricType(rawValue: name) else {
            throw APIError.notFound("Type de métrique inconnu: \(name)")
        }
        let query = request.uri.queryParameters
        let scope = try runtime.thresholdScope(
            service: query["service_name"].map(String.init), container: query["container_id"].map(String.init),
            visibility: context.access.visibility)
        try runtime.removeThresholdOverride(for: metric, scope: scope)
        return try Response.message("Seuil \(name) supprimé avec succès")
    }

    func thresholdsJSON() -> [String: ThresholdJSON] {
        var out: [String: ThresholdJSON] = [:]
        for (metric, t) in runtime.thresholds.all {
            out[metric.rawValue] = ThresholdJSON(
                warning: t.warning, critical: t.critical, enabled: t.enabled, duration: t.duration > 0 ? t.duration : nil)
        }
        return out
    }

    /// `visibility`: a caller limited to some containers sees the overrides of those and of their services.
    func overridesJSON(visibility: ContainerVisibility = .all) -> [ThresholdOverrideJSON] {
        var out: [ThresholdOverrideJSON] = []
        let visible = visibility.isAll ? [] : runtime.registry.all(visibleTo: visibility)
        let visibleIDs = Set(visible.map(\.identity.id))
        let visibleServices = Set(visible.compactMap(\.identity.serviceName))
        for (scope, table) in runtime.thresholds.overrides {
            if !visibility.isAll {
                switch scope {
                case .global: break
                case .service(let name): if !visibleServices.contains(name) { continue }
                case .container(let id): if !visibleIDs.contains(id) { continue }
                }
            }
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
}
