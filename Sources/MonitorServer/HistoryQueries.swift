import MonitorCore

/// Answers metrics and alerts queries. For now from memory only (the rings and the alert log); the JSONL
/// store will supply what is older than memory holds.
extension MonitorBackend {
    func samples(matching q: HistoryQuery) throws(APIError) -> [Sample] {
        var series = registry.all
        if let ref = q.containerRef {
            guard let one = try resolveContainer(ref, in: registry) else { return [] }
            series = [one]
        }
        if let service = q.serviceName { series = series.filter { $0.identity.serviceName == service } }
        let since = q.windowStartNanos
        var all: [Sample] = []
        for s in series { all += s.recent(limit: q.limit, notBeforeNanos: since) }
        // Newest first, and the newest `limit` of the window (the original kept the oldest: a bug).
        all.sort { $0.timestampNanos > $1.timestampNanos }
        return Array(all.prefix(q.limit))
    }

    func alertRecords(matching q: HistoryQuery) throws(APIError) -> [AlertRecord] {
        var ids: Set<String>?
        var nameOrPrefix: String?
        if let ref = q.containerRef {
            if let one = try resolveContainer(ref, in: registry) {
                ids = [one.identity.id]
            } else {
                nameOrPrefix = ref  // a container that is gone may still have alerts
            }
        }
        return alerts.newestFirst(notBeforeNanos: q.windowStartNanos, limit: q.limit) { a in
            if let ids, !ids.contains(a.containerID) { return false }
            if let ref = nameOrPrefix, a.containerName != ref, !(ref.count >= 3 && a.containerID.hasPrefix(ref)) {
                return false
            }
            if let service = q.serviceName, a.serviceName != service { return false }
            if let level = q.level, a.level != level { return false }
            return true
        }
    }
}
