import MonitorCore

extension MonitoringRuntime {
    /// Raises an alert by hand (`POST /test/alert`) for a live container, against its metric's threshold at
    /// that level: it goes wherever a real alert goes (the log, the history, webhooks, WebSocket clients).
    /// `visibility`: the containers the caller may see; another is answered as one that does not exist.
    public func raiseTestAlert(
        metric: MetricType, level: AlertLevel, value: Double, container reference: String, visibility: ContainerVisibility = .all
    ) throws(RuntimeError)
        -> AlertRecord
    {
        // A metric's value is a percentage, a rate, a size or a count: never negative, never beyond what a
        // 64-bit counter holds.
        guard value.isFinite, value >= 0, value <= 1.8e19 else {
            throw .invalid("value doit être un nombre fini, positif ou nul (reçu: \(value))")
        }
        guard let series = try container(reference, visibility: visibility) else {
            throw .notFound("Conteneur introuvable: \(reference)")
        }
        let t = thresholds.threshold(for: metric)
        let threshold = level == .critical ? (t?.critical ?? 0) : (t?.warning ?? 0)
        let record = AlertRecord(
            containerID: series.identity.id, containerName: series.identity.name, serviceName: series.identity.serviceName,
            timestampNanos: Clocks.wallNanos(), level: level, metricType: metric, value: value, threshold: threshold,
            message: AlertMessage.text(metric: metric, level: level, value: value, threshold: threshold))
        alerts.append(record)
        return record
    }
}
