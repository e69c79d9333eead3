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
        try applyConfiguration(body)
        return try Response.message("Configuration mise à jour avec succès")
    }

    /// Reads the body into one change (unknown metrics and scopes are refused here, in the order given); the
    /// runtime checks the ranges and every threshold before it applies anything.
    private func applyConfiguration(_ body: ConfigBody) throws {
        var change = ConfigurationChange(
            interval: body.collection_interval.map { Duration.seconds(saturating: $0) }, retentionDays: body.retention_days)
        for (i, item) in (body.thresholds ?? []).enumerated() {
            guard let name = item.metric_type else { throw APIError.validation("thresholds.\(i).metric_type est requis") }
            guard let metric = MetricType(rawValue: name) else {
                throw APIError.validation("thresholds.\(i).metric_type inconnu: \(name)")
            }
            let scope = try runtime.thresholdScope(service: item.service_name, container: item.container_id)
            change.thresholds.append(ThresholdChange(metric: metric, scope: scope, threshold: item.threshold))
        }
        try runtime.apply(change)
    }
}
