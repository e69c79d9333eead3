import Logging
import MonitorCore

/// Every alert and resolution as a log line an operator can filter on (`journalctl ALERT_LEVEL=critical`,
/// `journalctl CONTAINER_NAME=web-server`): critical alerts at error, warnings at warning, resolutions and
/// test `info` alerts at notice.
enum AlertLogLine {
    static func log(_ alert: AlertRecord, to logger: Logger) {
        var metadata: Logger.Metadata = [
            "container_id": "\(alert.containerID)", "container_name": "\(alert.containerName)",
            "alert_level": "\(alert.level.rawValue)", "metric_type": "\(alert.metricType.rawValue)",
            "value": "\(alert.value)", "threshold": "\(alert.threshold)",
        ]
        if let service = alert.serviceName { metadata["service_name"] = "\(service)" }
        if let ended = alert.resolvedLevel { metadata["resolved_level"] = "\(ended.rawValue)" }
        let level: Logger.Level =
            switch alert.level {
            case .critical: .error
            case .warning: .warning
            case .info: .notice
            }
        logger.log(level: level, "\(alert.resolved ? "alert resolved" : "alert"): \(alert.message)", metadata: metadata)
    }
}
