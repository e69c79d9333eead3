import Foundation
import MonitorCore
import MonitorHealth
import MonitorStore

/// Bodies of the small, non-hot-path responses (Codable is fine here; samples are written by hand).
struct ThresholdJSON: Codable {
    var warning: Double
    var critical: Double
    var enabled: Bool
    /// Seconds above a level before it is raised; absent when 0 (at once), so the seed's shape is unchanged.
    var duration: Double?
}

/// `GET /thresholds`: the original's map of global thresholds, plus the per-service/per-container ones.
struct ThresholdsJSON: Codable {
    var thresholds: [String: ThresholdJSON]
    var overrides: [ThresholdOverrideJSON]
}

/// A per-service or per-container threshold, in `GET /thresholds`' `overrides`.
struct ThresholdOverrideJSON: Codable {
    var metric_type: String
    var service_name: String?
    var container_id: String?
    var warning: Double
    var critical: Double
    var enabled: Bool
    var duration: Double
}

/// The original's threshold body: `PUT /thresholds/{metric_type}` and the `thresholds` of `POST /config`.
/// Ours may add `duration` ("above for N s") and a scope: `service_name` or `container_id`.
struct ThresholdBody: Codable {
    var metric_type: String?
    var warning_threshold: Double
    var critical_threshold: Double
    var enabled: Bool?
    var duration: Double?
    var service_name: String?
    var container_id: String?

    /// The threshold the body describes (not yet checked: the runtime does).
    var threshold: Threshold {
        Threshold(warning: warning_threshold, critical: critical_threshold, enabled: enabled ?? true, duration: duration ?? 0)
    }
}

struct MonitoringStatusJSON: Codable {
    var is_running: Bool
    var monitored_containers: Int
    var collection_interval: Double
    var retention_days: Int
    var storage_path: String
    var storage: StorageJSON?
    /// How containers are found and whether that works now: why the list is empty while Docker is away.
    var discovery: DiscoveryJSON?
}

struct DiscoveryJSON: Codable {
    var connected: Bool
    var detail: String
}

/// The JSONL store's health: what it wrote and whether the disk is refusing.
struct StorageJSON: Codable {
    var samples_persisted: UInt64
    var alerts_persisted: UInt64
    var bytes_written: UInt64
    var write_failures: UInt64
    var dropped_lines: UInt64
    var failing: Bool
    var last_error: String?
    var files_recreated: UInt64
    var files_compressed: UInt64
    var bytes_before_compression: UInt64
    var bytes_after_compression: UInt64
    var compression_failures: UInt64

    init(_ s: StoreStatistics, _ health: HealthReadings) {
        typealias N = StoreStatistics.Names
        samples_persisted = health.count(N.lines, labels: ["kind": "samples"])
        alerts_persisted = health.count(N.lines, labels: ["kind": "alerts"])
        bytes_written = health.count(N.bytesWritten)
        write_failures = health.count(N.writeFailures)
        dropped_lines = health.count(N.droppedLines)
        failing = s.failing
        last_error = s.lastError.withLock { $0 }
        files_recreated = health.count(N.filesRecreated)
        files_compressed = health.count(N.filesCompressed)
        bytes_before_compression = health.count(N.compressionInput)
        bytes_after_compression = health.count(N.compressionOutput)
        compression_failures = health.count(N.compressionFailures)
    }
}

struct WebSocketStatusJSON: Codable {
    var is_running: Bool
    var active_connections: Int
    var total_connections: Int
    var messages_sent: Int
}

struct StatusJSON: Codable {
    var monitoring: MonitoringStatusJSON
    var websocket: WebSocketStatusJSON
    var thresholds: [String: ThresholdJSON]
    var security: SecurityStatusJSON
}

/// Who can reach the API (`ListenExposure`) and what protects it.
struct SecurityStatusJSON: Codable {
    var listen: String
    var loopback_only: Bool
    var authentication: String
    var warnings: [String]
}

/// The `data` of a `status_update` push: `GET /status`'s document (`monitoring`, `websocket`, `thresholds`)
/// plus the original backend's keys, which the original front-end reads to follow Start/Stop and to fill its
/// statistics panel (`monitoring_active`, `monitored_containers`, `collector_stats`, `websocket_stats`).
struct SystemStatusJSON: Encodable {
    var monitoring: MonitoringStatusJSON
    var websocket: WebSocketStatusJSON
    var thresholds: [String: ThresholdJSON]
    var monitoring_active: Bool
    var monitored_containers: Int
    var collector_stats: StatisticsJSON.Collector
    var websocket_stats: StatisticsJSON.WebSocket
    var security: SecurityStatusJSON
}

struct MessageJSON: Codable {
    var message: String
}

struct ThresholdUpdatedJSON: Codable {
    var message: String
    var threshold: ThresholdBody
    /// False when the thresholds file could not be written: the change applies but will not survive a restart.
    var persisted: Bool
}

struct ConfigBody: Codable {
    var collection_interval: Double?
    var retention_days: Int?
    var thresholds: [ThresholdBody]?
}

struct TestAlertBody: Codable {
    var container_id: String
    var metric_type: String
    var value: Double
    var level: String?
}

struct StatisticsJSON: Encodable {
    /// The seed wants `collector` flat: `status.monitoring`'s fields, the thresholds, and our health figures.
    /// Written from the same parts `status` uses, so the two cannot drift apart.
    struct Collector: Encodable {
        var status: MonitoringStatusJSON
        var thresholds: [String: ThresholdJSON]
        var health: CollectorHealth

        private enum Keys: CodingKey { case thresholds }

        func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            try health.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(thresholds, forKey: .thresholds)
        }
    }
    struct CollectorHealth: Encodable {
        var ticks: UInt64
        var missed_ticks: UInt64
        var samples_collected: UInt64
        var failed_samples: UInt64
        var read_errors: UInt64
        var vanished_containers: UInt64
        /// Containers whose network counters come from the host's /proc/net/dev (veth peers); the others
        /// read their own namespace's file.
        var host_network_containers: Int
        var collection_success_rate: Double
        var mean_tick_ms: Double
        var max_tick_ms: Double
        var p99_tick_ms: Double
        var last_tick_ms: Double
        var rss_bytes: UInt64
    }
    struct WebSocket: Codable {
        var is_running: Bool
        var active_connections: Int
        var total_connections: Int
        var messages_sent: Int
        var errors: Int
        var max_clients: Int
        var ping_interval: Double
        var client_timeout: Double
        var dropped_clients: Int
        var dropped_messages: Int
        var dropped_ticks: Int
        var refused_connections: Int
    }
    struct Alerts: Codable {
        var total_last_24h: Int
        var last_hour: Int
        var by_level: [String: Int]
        /// Alerts in force now (container × metric).
        var active: Int
        /// Raised and resolved by evaluation since start.
        var raised: UInt64
        var resolved: UInt64
        var webhooks: Webhooks?
    }
    struct Webhooks: Codable {
        var delivered: UInt64
        var failed: UInt64
        var retries: UInt64
        var dropped: UInt64
        var last_error: String?
    }
    struct Performance: Codable {
        var avg_cpu_percent: Double
        var avg_memory_percent: Double
        var total_network_rx_mb: Double
        var total_network_tx_mb: Double
        var metrics_count_last_hour: Int
        var requests: UInt64
        var mean_request_latency_ms: Double
        var refused_malformed: Int
        var refused_too_large: Int
        var timed_out_connections: Int
        var busy_rejections: Int
    }
    var collector: Collector
    var websocket: WebSocket
    var alerts: Alerts
    var performance: Performance
}

func encodeJSON(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    return try encoder.encode(value)
}
