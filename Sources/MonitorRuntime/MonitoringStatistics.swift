import MonitorCore
import MonitorHealth

/// The figures `/statistics` reports about the monitored containers and the alerts, computed from what
/// memory holds (the rings, the alert log); the HTTP layer rounds and names them.
public struct PerformanceSummary: Sendable, Equatable {
    /// Means over every sample of the last hour.
    public var averageCPUPercent: Double
    public var averageMemoryPercent: Double
    /// The sum of each container's newest network counters.
    public var networkRxBytes: Double
    public var networkTxBytes: Double
    public var samplesLastHour: Int
}

public struct AlertSummary: Sendable, Equatable {
    public var lastDay: Int
    public var lastHour: Int
    public var lastDayByLevel: [AlertLevel: Int]
    /// Alerts in force now, and raised and resolved since start.
    public var active: Int
    public var raised: UInt64
    public var resolved: UInt64
}

extension MonitoringRuntime {
    static let hourNanos: Int64 = 3_600_000_000_000

    /// `visibility`: the containers the caller may see (the others are left out of every figure).
    public func performanceSummary(nowNanos: Int64 = Clocks.wallNanos(), visibility: ContainerVisibility = .all) -> PerformanceSummary {
        let hourAgo = nowNanos &- Self.hourNanos
        var summary = PerformanceSummary(averageCPUPercent: 0, averageMemoryPercent: 0, networkRxBytes: 0, networkTxBytes: 0, samplesLastHour: 0)
        var cpuSum = 0.0
        var memorySum = 0.0
        for series in registry.all(visibleTo: visibility) {
            let recent = series.recent(limit: .max, notBeforeNanos: hourAgo)
            for s in recent {
                cpuSum += s.cpuPercent
                memorySum += s.memoryPercent
            }
            summary.samplesLastHour += recent.count
            if let latest = recent.first {
                summary.networkRxBytes += Double(latest.networkRxBytes)
                summary.networkTxBytes += Double(latest.networkTxBytes)
            }
        }
        if summary.samplesLastHour > 0 {
            summary.averageCPUPercent = cpuSum / Double(summary.samplesLastHour)
            summary.averageMemoryPercent = memorySum / Double(summary.samplesLastHour)
        }
        return summary
    }

    /// `health`: a reading of the runtime's registry, where the evaluator counts what it raised and resolved
    /// (the daemon's totals, whoever asks). `visibility`: the containers the caller may see.
    public func alertSummary(
        _ health: HealthReadings, nowNanos: Int64 = Clocks.wallNanos(), visibility: ContainerVisibility = .all
    ) -> AlertSummary {
        let hourAgo = nowNanos &- Self.hourNanos
        let lastDay = alerts.newestFirst(notBeforeNanos: nowNanos &- 24 &* Self.hourNanos, limit: .max) { a in
            visibility.sees(a)
        }
        let active = visibility.isAll
            ? evaluator?.activeCount ?? 0
            : registry.all(visibleTo: visibility).reduce(0) { $0 + (evaluator?.active(containerID: $1.identity.id).count ?? 0) }
        var byLevel: [AlertLevel: Int] = [.critical: 0, .warning: 0, .info: 0]
        for alert in lastDay { byLevel[alert.level, default: 0] += 1 }
        return AlertSummary(
            lastDay: lastDay.count, lastHour: lastDay.lazy.filter { $0.timestampNanos >= hourAgo }.count, lastDayByLevel: byLevel,
            active: active, raised: health.count(AlertEvaluator.raisedName),
            resolved: health.count(AlertEvaluator.resolvedName))
    }
}
