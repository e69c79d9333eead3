import MonitorCore

/// Thresholds set and removed at run time (`PUT`/`DELETE /thresholds/{metric_type}`, `POST /config`): the
/// scope a request names, the checks a threshold must pass, and the file that keeps them across restarts.
extension MonitoringRuntime {
    /// The scope a request names: a service, a live container (by id, prefix or name, kept by full id), or
    /// everywhere (neither, or both empty). `visibility`: a caller limited to some containers may name one of
    /// them, or a service its claims name whole; not everywhere, nor a service some of whose containers it may
    /// not see.
    public func thresholdScope(
        service: String?, container: String?, visibility: ContainerVisibility = .all
    ) throws(RuntimeError) -> ThresholdScope {
        let service = service?.isEmpty == true ? nil : service
        let container = container?.isEmpty == true ? nil : container
        let refused = RuntimeError.forbidden("Permission insuffisante: ce jeton ne voit pas tous les conteneurs concernés")
        switch (service, container) {
        case (nil, nil):
            guard visibility.isAll else { throw refused }
            return .global
        case (let name?, nil):
            guard visibility.isAll || (visibility.containers == nil && visibility.services?.contains(name) == true) else { throw refused }
            return .service(name)
        case (nil, let reference?):
            guard let series = try self.container(reference, visibility: visibility) else { throw .notFound("Conteneur introuvable: \(reference)") }
            return .container(series.identity.id)
        case (_?, _?):
            throw .invalid("service_name et container_id ne peuvent être donnés ensemble")
        }
    }

    /// Why `threshold` cannot be set (a warning not under its critical is the original's 400), nil when it can.
    static func refusal(of threshold: Threshold) -> RuntimeError? {
        guard let failure = threshold.validationFailure else { return nil }
        return threshold.warning >= threshold.critical && failure.hasPrefix("Le seuil") ? .invalidThreshold(failure) : .invalid(failure)
    }

    /// Checks `threshold` as every change does (`POST /config` checks each of its thresholds the same way).
    public func validate(_ threshold: Threshold) throws(RuntimeError) {
        if let refusal = Self.refusal(of: threshold) { throw refusal }
    }

    /// Sets one threshold and saves the table. Returns whether it was saved (else it holds until a restart).
    public func setThreshold(_ threshold: Threshold, for metric: MetricType, scope: ThresholdScope) throws(RuntimeError) -> Bool {
        try validate(threshold)
        thresholds.set(threshold, for: metric, scope: scope)
        return saveThresholds(changedGlobal: scope == .global ? [metric] : [])
    }

    /// Removes a service's or a container's own threshold (the global ones can be changed, never removed).
    public func removeThresholdOverride(for metric: MetricType, scope: ThresholdScope) throws(RuntimeError) {
        guard scope != .global else {
            throw .invalid("Seul un seuil propre à un service (service_name) ou à un conteneur (container_id) peut être supprimé")
        }
        guard thresholds.removeOverride(for: metric, scope: scope) else {
            throw .notFound("Aucun seuil \(metric.rawValue) propre à ce service ou conteneur")
        }
        saveThresholds(changedGlobal: [])
    }
}
