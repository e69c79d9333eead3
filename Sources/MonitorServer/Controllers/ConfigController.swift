import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import NIOCore

/// `POST /config`: the collection interval, the retention and thresholds, validated as a whole before anything
/// is applied (the accepted ranges come from the server's options: the command line's settings table).
struct ConfigController: Sendable {
    let backend: MonitorBackend
    let options: ServerOptions

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

    /// 60 as "60", 0.1 as "0.1".
    private static func plain(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(saturating: v)) : String(v) }

    /// Validates the whole configuration first; applies it only if every part is valid.
    private func applyConfiguration(_ body: ConfigBody) throws {
        let intervals = options.runtimeIntervalRange, days = options.runtimeRetentionRange
        if let interval = body.collection_interval, !intervals.contains(interval) {
            throw APIError.validation(
                "collection_interval doit être entre \(Self.plain(intervals.lowerBound)) et \(Self.plain(intervals.upperBound)) secondes (reçu: \(interval))")
        }
        if let retention = body.retention_days, !days.contains(retention) {
            throw APIError.validation("retention_days doit être entre \(days.lowerBound) et \(days.upperBound) (reçu: \(retention))")
        }
        let scopes = ThresholdsController(backend: backend)
        var thresholds: [(MetricType, ThresholdScope, Threshold)] = []
        for (i, item) in (body.thresholds ?? []).enumerated() {
            guard let name = item.metric_type else { throw APIError.validation("thresholds.\(i).metric_type est requis") }
            guard let metric = MetricType(rawValue: name) else {
                throw APIError.validation("thresholds.\(i).metric_type inconnu: \(name)")
            }
            thresholds.append((metric, try scopes.scope(service: item.service_name, container: item.container_id), try ThresholdsController.validated(item)))
        }
        let interval = body.collection_interval.map { Duration.seconds(saturating: $0) }
        if let interval { backend.collection.setInterval(interval) }
        if let days = body.retention_days { backend.retentionDays.store(days, ordering: .relaxed) }
        if !thresholds.isEmpty {
            backend.thresholds.set(thresholds)
            _ = backend.saveThresholds(Set(thresholds.filter { $0.1 == .global }.map(\.0)))
        }
        if interval != nil || body.retention_days != nil { backend.onConfigurationChange(interval, body.retention_days) }
    }
}
