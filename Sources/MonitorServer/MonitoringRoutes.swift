import Foundation
import Hummingbird
import MonitorCore
import MonitorEncoding
import NIOCore

/// The REST API of SPEC §4 under `/api/v1/monitoring`.
struct MonitoringRoutes {
    let backend: MonitorBackend
    let options: ServerOptions
    /// Where history answers are computed (nil: inline, for the status-only use of the WebSocket hub).
    var heavy: HeavyQueries? = nil

    func register(on router: Router<some RequestContext>) {
        router.get("api/v1/openapi.json") { _, _ in
            Response.json(ByteBuffer(bytes: OpenAPIDocument.bytes))
        }
        let api = router.group("api/v1/monitoring")
        api.get("status") { _, _ in try self.status() }
        api.post("start") { _, _ in
            self.backend.collection.isCollecting.store(true, ordering: .relaxed)
            return try self.message("Monitoring démarré avec succès")
        }
        api.post("stop") { _, _ in
            self.backend.collection.isCollecting.store(false, ordering: .relaxed)
            return try self.message("Monitoring arrêté avec succès")
        }
        api.get("metrics") { request, _ in
            let query = try HistoryQuery(query: request.uri.queryParameters, limits: HistoryQuery.metrics)
            return try await self.history(format: query.format) { [backend] () throws(APIError) in try backend.samplePlan(query) }
        }
        api.post("metrics/query") { request, context in
            let body = try await decodeJSONBody(HistoryQuery.Body.self, from: request, context: context)
            let query = try HistoryQuery(body: body, limits: HistoryQuery.metrics)
            return try await self.history(format: query.format) { [backend] () throws(APIError) in try backend.samplePlan(query) }
        }
        api.get("metrics/latest") { _, _ in self.latestOfAll() }
        api.get("metrics/:container_id/latest") { _, context in
            let ref = context.parameters.get("container_id") ?? ""
            guard let series = try resolveContainer(ref, in: self.backend.registry), let latest = series.latest else {
                throw APIError.notFound("Aucune métrique pour le conteneur \(ref)")
            }
            var buffer = ByteBuffer()
            buffer.writeSampleJSON(latest, precision: self.backend.timestampPrecision)
            return Response.json(buffer)
        }
        api.get("alerts") { request, _ in
            let query = try HistoryQuery(query: request.uri.queryParameters, limits: HistoryQuery.alerts)
            return try await self.history(format: query.format) { [backend] () throws(APIError) in try backend.alertPlan(query) }
        }
        api.post("alerts/query") { request, context in
            let body = try await decodeJSONBody(HistoryQuery.Body.self, from: request, context: context)
            let query = try HistoryQuery(body: body, limits: HistoryQuery.alerts)
            return try await self.history(format: query.format) { [backend] () throws(APIError) in try backend.alertPlan(query) }
        }
        api.get("thresholds") { _, _ in
            try self.json(ThresholdsJSON(thresholds: self.thresholdsJSON(), overrides: self.overridesJSON()))
        }
        api.put("thresholds/:metric_type") { request, context in
            let name = context.parameters.get("metric_type") ?? ""
            guard let metric = MetricType(rawValue: name) else {
                throw APIError.notFound("Type de métrique inconnu: \(name)")
            }
            let body = try await decodeJSONBody(ThresholdBody.self, from: request, context: context)
            if let declared = body.metric_type, declared != name {
                throw APIError.validation("metric_type du corps (\(declared)) différent du chemin (\(name))")
            }
            let threshold = try Self.validated(body)
            let scope = try self.scope(service: body.service_name, container: body.container_id)
            self.backend.thresholds.set(threshold, for: metric, scope: scope)
            let failure = self.backend.saveThresholds(scope == .global ? [metric] : [])
            var echoed = body
            echoed.metric_type = name
            echoed.enabled = threshold.enabled
            echoed.duration = threshold.duration
            if case .container(let id) = scope { echoed.container_id = id }
            return try self.json(
                ThresholdUpdatedJSON(message: "Seuil \(name) mis à jour avec succès", threshold: echoed, persisted: failure == nil))
        }
        api.delete("thresholds/:metric_type") { request, context in
            let name = context.parameters.get("metric_type") ?? ""
            guard let metric = MetricType(rawValue: name) else {
                throw APIError.notFound("Type de métrique inconnu: \(name)")
            }
            let query = request.uri.queryParameters
            let scope = try self.scope(service: query["service_name"].map(String.init), container: query["container_id"].map(String.init))
            guard scope != .global else {
                throw APIError.validation("Seul un seuil propre à un service (service_name) ou à un conteneur (container_id) peut être supprimé")
            }
            guard self.backend.thresholds.removeOverride(for: metric, scope: scope) else {
                throw APIError.notFound("Aucun seuil \(name) propre à ce service ou conteneur")
            }
            _ = self.backend.saveThresholds([])
            return try self.message("Seuil \(name) supprimé avec succès")
        }
        api.post("config") { request, context in
            let body = try await decodeJSONBody(ConfigBody.self, from: request, context: context)
            try self.applyConfiguration(body)
            return try self.message("Configuration mise à jour avec succès")
        }
        api.get("containers") { _, _ in self.containers() }
        api.get("statistics") { _, _ in try self.statistics() }
        api.post("test/alert") { request, context in
            let body = try await decodeJSONBody(TestAlertBody.self, from: request, context: context)
            return try self.testAlert(body)
        }
    }

    /// Every container's newest sample from the rings, in one answer: `wakedock-monitor stats` reads it
    /// rather than the kernel when a daemon is serving.
    private func latestOfAll() -> Response {
        let samples = backend.registry.all.compactMap(\.latest)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(samples.count * 1100 + 100)
        buffer.writeStaticString("{")
        buffer.writeJSONKey("collecting")
        buffer.writeStaticString(backend.collection.isCollecting.load(ordering: .relaxed) ? "true" : "false")
        buffer.writeStaticString(",")
        buffer.writeJSONKey("collection_interval")
        buffer.writeJSONDouble(backend.intervalSeconds, decimals: 3)
        buffer.writeStaticString(",")
        buffer.writeJSONKey("samples")
        buffer.writeSamplesArray(samples, precision: .milliseconds)
        buffer.writeStaticString("}")
        return Response.json(buffer)
    }

    // MARK: - Bodies

    private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response.json(ByteBuffer(data: try encodeJSON(value)), status: status)
    }

    private func message(_ text: String) throws -> Response { try json(MessageJSON(message: text)) }

    /// A history answer: a JSON array, or JSONL streamed a chunk at a time (an export of a whole week never
    /// sits in memory). Planned, read and encoded on the heavy-query pool, a chunk at a time for a stream, so
    /// neither the HTTP tasks nor the collector ever wait on a file.
    private func history(
        format: HistoryQuery.Format, plan makePlan: @escaping @Sendable () throws(APIError) -> HistoryPlan
    ) async throws -> Response {
        let precision = backend.timestampPrecision
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

    func monitoringStatus() -> MonitoringStatusJSON {
        MonitoringStatusJSON(
            is_running: backend.collection.isCollecting.load(ordering: .relaxed),
            monitored_containers: backend.collection.statistics.monitoredContainers.load(ordering: .relaxed),
            collection_interval: backend.intervalSeconds,
            retention_days: backend.retentionDays.load(ordering: .relaxed),
            storage_path: backend.storagePath, storage: StorageJSON(backend.store),
            discovery: backend.discovery.map { DiscoveryJSON(connected: $0.connected, detail: $0.detail) })
    }

    private func status() throws -> Response { try json(statusDocument()) }

    /// The body of `GET /status`, also the data of `status_update` messages.
    func statusDocument() -> StatusJSON {
        let ws = backend.websocket
        return (
            StatusJSON(
                monitoring: monitoringStatus(),
                websocket: WebSocketStatusJSON(
                    is_running: true, active_connections: ws.activeConnections.load(ordering: .relaxed),
                    total_connections: ws.totalConnections.load(ordering: .relaxed),
                    messages_sent: ws.messagesSent.load(ordering: .relaxed)),
                thresholds: thresholdsJSON()))
    }

    /// The data of `status_update` pushes: the status document with the original backend's keys beside ours
    /// (its `collector_stats` and `websocket_stats` are `statistics`' sections, a superset of the original's).
    func systemStatusDocument() -> SystemStatusJSON {
        let status = statusDocument()
        return SystemStatusJSON(
            monitoring: status.monitoring, websocket: status.websocket, thresholds: status.thresholds,
            monitoring_active: status.monitoring.is_running, monitored_containers: status.monitoring.monitored_containers,
            collector_stats: collectorStatistics(), websocket_stats: webSocketStatistics())
    }

    /// `GET /containers`, written by hand into one buffer: the dashboard polls it, so it is a hot path.
    private func containers() -> Response {
        let precision = backend.timestampPrecision
        let mb = 1024.0 * 1024.0
        let series = backend.registry.all.sorted { $0.identity.name < $1.identity.name }
        var b = ByteBuffer()
        b.reserveCapacity(64 + series.count * 320)
        b.writeStaticString("{\"containers\":[")
        for (i, s) in series.enumerated() {
            let latest = s.latest
            if i > 0 { b.writeStaticString(",") }
            b.writeStaticString("{"); b.writeJSONKey("container_id"); b.writeJSONString(s.identity.id)
            b.writeStaticString(","); b.writeJSONKey("container_name"); b.writeJSONString(s.identity.name)
            b.writeStaticString(","); b.writeJSONKey("service_name"); b.writeJSONStringOrNull(s.identity.serviceName)
            b.writeStaticString(","); b.writeJSONKey("last_update")
            if let latest {
                b.writeStaticString("\""); b.writeRFC3339(nanos: latest.timestampNanos, precision: precision); b.writeStaticString("\"")
            } else {
                b.writeStaticString("null")
            }
            b.writeStaticString(","); b.writeJSONKey("cpu_percent"); b.writeJSONDouble(latest?.cpuPercent ?? 0, decimals: 2)
            b.writeStaticString(","); b.writeJSONKey("memory_percent"); b.writeJSONDouble(latest?.memoryPercent ?? 0, decimals: 2)
            b.writeStaticString(","); b.writeJSONKey("network_rx_mb")
            b.writeJSONDouble(Double(latest?.networkRxBytes ?? 0) / mb, decimals: 3)
            b.writeStaticString(","); b.writeJSONKey("network_tx_mb")
            b.writeJSONDouble(Double(latest?.networkTxBytes ?? 0) / mb, decimals: 3)
            // The byte counters too: the original front-end sums these.
            b.writeStaticString(","); b.writeJSONKey("network_rx_bytes"); b.writeDecimal(latest?.networkRxBytes ?? 0)
            b.writeStaticString(","); b.writeJSONKey("network_tx_bytes"); b.writeDecimal(latest?.networkTxBytes ?? 0)
            b.writeStaticString(","); b.writeJSONKey("active_alerts"); b.writeStaticString("[")
            for (j, alert) in (backend.evaluator?.active(containerID: s.identity.id) ?? []).enumerated() {
                if j > 0 { b.writeStaticString(",") }
                b.writeStaticString("{"); b.writeJSONKey("metric_type"); b.writeJSONString(alert.metric.rawValue)
                b.writeStaticString(","); b.writeJSONKey("level"); b.writeJSONString(alert.level.rawValue)
                b.writeStaticString(","); b.writeJSONKey("since"); b.writeStaticString("\"")
                b.writeRFC3339(nanos: alert.sinceNanos, precision: precision); b.writeStaticString("\"")
                b.writeStaticString(","); b.writeJSONKey("value"); b.writeJSONDouble(alert.value, decimals: 2)
                b.writeStaticString("}")
            }
            b.writeStaticString("]}")
        }
        b.writeStaticString("]}")
        return Response.json(b)
    }

    // MARK: - Changes

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
        var thresholds: [(MetricType, ThresholdScope, Threshold)] = []
        for (i, item) in (body.thresholds ?? []).enumerated() {
            guard let name = item.metric_type else { throw APIError.validation("thresholds.\(i).metric_type est requis") }
            guard let metric = MetricType(rawValue: name) else {
                throw APIError.validation("thresholds.\(i).metric_type inconnu: \(name)")
            }
            thresholds.append((metric, try scope(service: item.service_name, container: item.container_id), try Self.validated(item)))
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

    private func testAlert(_ body: TestAlertBody) throws -> Response {
        guard let metric = MetricType(rawValue: body.metric_type) else {
            throw APIError.validation("metric_type inconnu: \(body.metric_type)")
        }
        let levelName = body.level ?? "warning"
        guard let level = AlertLevel(rawValue: levelName) else {
            throw APIError.validation("level doit être info, warning ou critical (reçu: \(levelName))")
        }
        // A metric's value is a percentage, a rate, a size or a count: never negative, never beyond what a
        // 64-bit counter holds.
        guard body.value.isFinite, body.value >= 0, body.value <= 1.8e19 else {
            throw APIError.validation("value doit être un nombre fini, positif ou nul (reçu: \(body.value))")
        }
        guard let series = try resolveContainer(body.container_id, in: backend.registry) else {
            throw APIError.notFound("Conteneur introuvable: \(body.container_id)")
        }
        let t = backend.thresholds.threshold(for: metric)
        let threshold = level == .critical ? (t?.critical ?? 0) : (t?.warning ?? 0)
        let record = AlertRecord(
            containerID: series.identity.id, containerName: series.identity.name, serviceName: series.identity.serviceName,
            timestampNanos: Clocks.wallNanos(), level: level, metricType: metric, value: body.value, threshold: threshold,
            message: AlertMessage.text(metric: metric, level: level, value: body.value, threshold: threshold))
        backend.alerts.append(record)
        var buffer = ByteBuffer()
        buffer.writeStaticString("{\"message\":\"Alerte de test générée\",\"alert\":")
        buffer.writeAlertJSON(record, precision: backend.timestampPrecision)
        buffer.writeStaticString("}")
        return Response.json(buffer)
    }
}

/// Hands a value that is used by one task at a time (a history reader moving between the pool's threads
/// chunk by chunk) across isolation boundaries.
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
