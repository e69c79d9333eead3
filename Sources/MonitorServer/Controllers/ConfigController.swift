import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// `POST /config`: the collection interval, the retention and thresholds, read here and handed to the runtime,
/// which validates the change as a whole before applying any of it (its ranges come from the settings table).
struct ConfigController: Sendable {
    let runtime: MonitoringRuntime

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.post("config", use: update)
        return routes
    }

    @Sendable func update(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let body = try await request.decode(as: ConfigBody.self, context: context)
        // The interval and the retention are the whole daemon's: not for a token limited to some containers.
        if !context.access.visibility.isAll, body.collection_interval != nil || body.retention_days != nil {
            throw APIError.forbidden
        }
        try applyConfiguration(body, visibility: context.access.visibility)
        return try Response.message("Configuration mise à jour avec succès")
    }

    /// Reads the body into one change and lets the runtime apply it, nothing applied unless all of it is
    /// valid. The first fault in the body's order is the one answered: the interval, the retention, then each
    /// threshold's name, scope (an unknown container is a 404) and values.
    private func applyConfiguration(_ body: ConfigBody, visibility: ContainerVisibility) throws {
        var change = ConfigurationChange(intervalSeconds: body.collection_interval, retentionDays: body.retention_days)
        try runtime.check(change)
        for (i, item) in (body.thresholds ?? []).enumerated() {
            guard let name = item.metric_type else { throw APIError.validation("thresholds.\(i).metric_type est requis") }
            guard let metric = MetricType(rawValue: name) else {
                throw APIError.validation("thresholds.\(i).metric_type inconnu: \(name)")
            }
            let scope = try runtime.thresholdScope(service: item.service_name, container: item.container_id, visibility: visibility)
            try runtime.validate(item.threshold)
            change.thresholds.append(ThresholdChange(metric: metric, scope: scope, threshold: item.threshold))
        }
        try runtime.apply(change)
    }
}
