/// Every metric a sample carries, described once: its JSON key (SPEC §2), unit, how it is read from a
/// `Sample` and written, whether a threshold can watch it (its `MetricType` and the words of its alert
/// messages), and its name in a Prometheus exposition. The sample encoder (so every history line, frame and
/// answer, and the OpenAPI check that compares the Sample schema with what the encoder writes), alert
/// messages and `MetricType` walk this table; the Prometheus endpoint (issue 15) is to. Adding a metric is its
/// read (the C probe, `Probe`, `Sample`, `SampleDerivation`, `SampleDeltaCodec`), its `SampleField` case,
/// and one entry here.
public struct MetricSpec: Sendable {
    /// How the value is written in JSON: a whole number, or a decimal rounded to `places` (a field the kernel
    /// may not offer is `null` whatever its format).
    public enum Format: Sendable, Equatable {
        case integer
        case decimal(places: Int)
    }

    public enum Unit: String, Sendable {
        case percent
        case bytes
        case bytesPerSecond = "bytes/s"
        case nanoseconds
        case microseconds
        case count
    }

    /// A value that only grows (until its container restarts) or one that goes up and down.
    public enum Kind: String, Sendable {
        case counter
        case gauge
    }

    /// How an alert on the metric is worded (French, as the original's): `CPU élevé: 95.0% (seuil: 90%)`,
    /// `E/S disque élevées (lecture): …`.
    public struct AlertWords: Sendable {
        public var metric: MetricType
        public var subject: String
        public var feminine = false
        public var plural = false
        /// Said after the adjective, in brackets: `RX`, `lecture`.
        public var direction: String?
    }

    /// Its name in a Prometheus exposition (cAdvisor's where cAdvisor has the figure, `wakedock_` otherwise), and
    /// the factor to its base unit there (nanoseconds → seconds). Percentages and our per-tick rates have none:
    /// an exposition carries raw counters, and Prometheus derives rates and ratios from them.
    public struct Exposition: Sendable {
        public var name: String
        public var help: String
        public var scale: Double = 1
    }

    /// The JSON key (a literal: the encoder writes its bytes as they are).
    public let key: StaticString
    public let unit: Unit
    public let kind: Kind
    /// Which field of a `Sample` holds it.
    public let field: SampleField
    public let format: Format
    public var alert: AlertWords?
    public var exposition: Exposition?
    /// False: carried by the sample for the exposition only, not written in JSON (lines, frames, answers) — the
    /// PSI totals, cumulative microseconds a JSON reader would have to difference, which would lengthen every
    /// history line by a fifth for what `psi_*_some_avg10` already says.
    public var inJSON = true

    public var name: String { key.description }

    /// The value as a number, whatever its JSON form (nil: not offered).
    @inlinable
    public func number(in sample: Sample) -> Double? { field.read(sample).number }
}

public enum MetricCatalog {
    /// In the order of the JSON object: the seed's fields first, then the original record's and our extras.
    public static let metrics: [MetricSpec] = [
        MetricSpec(
            key: "cpu_percent", unit: .percent, kind: .gauge, field: .cpuPercent, format: .decimal(places: 2),
            alert: .init(metric: .cpuPercent, subject: "CPU")),
        MetricSpec(
            key: "memory_usage", unit: .bytes, kind: .gauge, field: .memoryUsage, format: .integer,
            alert: .init(metric: .memoryUsage, subject: "Utilisation mémoire", feminine: true),
            // docker stats' figure (usage less inactive page cache) is cAdvisor's working set.
            exposition: .init(name: "container_memory_working_set_bytes", help: "Working set, bytes: memory in use less inactive page cache")),
        MetricSpec(
            key: "memory_limit", unit: .bytes, kind: .gauge, field: .memoryLimit, format: .integer,
            alert: .init(metric: .memoryLimit, subject: "Limite mémoire", feminine: true),
            exposition: .init(name: "container_spec_memory_limit_bytes", help: "Memory limit, bytes (the host's memory when unlimited)")),
        MetricSpec(
            key: "memory_percent", unit: .percent, kind: .gauge, field: .memoryPercent, format: .decimal(places: 2),
            alert: .init(metric: .memoryPercent, subject: "Mémoire", feminine: true)),
        MetricSpec(
            key: "network_rx_bytes", unit: .bytes, kind: .counter, field: .networkRxBytes, format: .integer,
            exposition: .init(name: "container_network_receive_bytes_total", help: "Bytes received")),
        MetricSpec(
            key: "network_tx_bytes", unit: .bytes, kind: .counter, field: .networkTxBytes, format: .integer,
            exposition: .init(name: "container_network_transmit_bytes_total", help: "Bytes sent")),
        MetricSpec(
            key: "network_rx_rate", unit: .bytesPerSecond, kind: .gauge, field: .networkRxRate, format: .decimal(places: 1),
            alert: .init(metric: .networkRx, subject: "Trafic réseau", direction: "RX")),
        MetricSpec(
            key: "network_tx_rate", unit: .bytesPerSecond, kind: .gauge, field: .networkTxRate, format: .decimal(places: 1),
            alert: .init(metric: .networkTx, subject: "Trafic réseau", direction: "TX")),
        MetricSpec(
            key: "pids", unit: .count, kind: .gauge, field: .pids, format: .integer,
            alert: .init(metric: .pids, subject: "Processus"),
            exposition: .init(name: "container_processes", help: "Processes and threads in the container's cgroup")),
        MetricSpec(
            key: "cpu_usage", unit: .nanoseconds, kind: .counter, field: .cpuUsageNanos, format: .integer,
            exposition: .init(name: "container_cpu_usage_seconds_total", help: "CPU time used, seconds", scale: 1e-9)),
        MetricSpec(
            key: "cpu_system_usage", unit: .nanoseconds, kind: .counter, field: .cpuSystemUsageNanos, format: .integer),
        MetricSpec(
            key: "memory_cache", unit: .bytes, kind: .gauge, field: .memoryCache, format: .integer,
            exposition: .init(name: "container_memory_cache", help: "Page cache, bytes")),
        MetricSpec(
            key: "memory_usage_raw", unit: .bytes, kind: .gauge, field: .memoryUsageRaw, format: .integer,
            exposition: .init(name: "container_memory_usage_bytes", help: "Memory charged to the cgroup, page cache included, bytes")),
        MetricSpec(
            key: "network_rx_packets", unit: .count, kind: .counter, field: .networkRxPackets, format: .integer,
            exposition: .init(name: "container_network_receive_packets_total", help: "Packets received")),
        MetricSpec(
            key: "network_tx_packets", unit: .count, kind: .counter, field: .networkTxPackets, format: .integer,
            exposition: .init(name: "container_network_transmit_packets_total", help: "Packets sent")),
        MetricSpec(
            key: "block_read_bytes", unit: .bytes, kind: .counter, field: .blockReadBytes, format: .integer,
            exposition: .init(name: "container_fs_reads_bytes_total", help: "Bytes read from block devices")),
        MetricSpec(
            key: "block_write_bytes", unit: .bytes, kind: .counter, field: .blockWriteBytes, format: .integer,
            exposition: .init(name: "container_fs_writes_bytes_total", help: "Bytes written to block devices")),
        MetricSpec(
            key: "block_read_rate", unit: .bytesPerSecond, kind: .gauge, field: .blockReadRate, format: .decimal(places: 1),
            alert: .init(metric: .blockRead, subject: "E/S disque", feminine: true, plural: true, direction: "lecture")),
        MetricSpec(
            key: "block_write_rate", unit: .bytesPerSecond, kind: .gauge, field: .blockWriteRate, format: .decimal(places: 1),
            alert: .init(metric: .blockWrite, subject: "E/S disque", feminine: true, plural: true, direction: "écriture")),
        MetricSpec(
            key: "cpu_throttled_periods", unit: .count, kind: .counter, field: .cpuThrottledPeriods, format: .integer,
            exposition: .init(name: "container_cpu_cfs_throttled_periods_total", help: "CFS periods in which the container was throttled")),
        MetricSpec(
            key: "memory_failcnt", unit: .count, kind: .counter, field: .memoryFailcnt, format: .integer,
            exposition: .init(name: "container_memory_failcnt", help: "Times memory usage hit the limit")),
        MetricSpec(
            key: "oom_kills", unit: .count, kind: .counter, field: .oomKills, format: .integer,
            exposition: .init(name: "container_oom_events_total", help: "Processes killed by the OOM killer")),
        MetricSpec(
            key: "psi_cpu_some_avg10", unit: .percent, kind: .gauge, field: .psiCPU, format: .decimal(places: 2),
            exposition: .init(name: "wakedock_container_psi_cpu_some_avg10", help: "CPU pressure, some, 10 s average, %")),
        MetricSpec(
            key: "psi_memory_some_avg10", unit: .percent, kind: .gauge, field: .psiMemory, format: .decimal(places: 2),
            exposition: .init(name: "wakedock_container_psi_memory_some_avg10", help: "Memory pressure, some, 10 s average, %")),
        MetricSpec(
            key: "psi_io_some_avg10", unit: .percent, kind: .gauge, field: .psiIO, format: .decimal(places: 2),
            exposition: .init(name: "wakedock_container_psi_io_some_avg10", help: "I/O pressure, some, 10 s average, %")),
        // PSI totals under cAdvisor's names: `waiting` is the `some` line (some task waited), `stalled` the `full`
        // line (every task was stalled; cpu.pressure has it from Linux 5.13).
        pressure("psi_cpu_some_total_us", .psiCPUSomeMicros, "container_pressure_cpu_waiting_seconds_total", "CPU pressure: time some task waited, seconds"),
        pressure("psi_cpu_full_total_us", .psiCPUFullMicros, "container_pressure_cpu_stalled_seconds_total", "CPU pressure: time every task was stalled, seconds"),
        pressure("psi_memory_some_total_us", .psiMemorySomeMicros, "container_pressure_memory_waiting_seconds_total", "Memory pressure: time some task waited, seconds"),
        pressure("psi_memory_full_total_us", .psiMemoryFullMicros, "container_pressure_memory_stalled_seconds_total", "Memory pressure: time every task was stalled, seconds"),
        pressure("psi_io_some_total_us", .psiIOSomeMicros, "container_pressure_io_waiting_seconds_total", "I/O pressure: time some task waited, seconds"),
        pressure("psi_io_full_total_us", .psiIOFullMicros, "container_pressure_io_stalled_seconds_total", "I/O pressure: time every task was stalled, seconds"),
    ]

    private static func pressure(_ key: StaticString, _ field: SampleField, _ name: String, _ help: String) -> MetricSpec {
        MetricSpec(
            key: key, unit: .microseconds, kind: .counter, field: field, format: .integer,
            exposition: .init(name: name, help: help, scale: 1e-6), inJSON: false)
    }

    /// The entry of each `MetricType`, by its `index`.
    public static let byMetricType: [MetricSpec] = MetricType.allCases.map { type in
        guard let spec = metrics.first(where: { $0.alert?.metric == type }) else {
            fatalError("MetricCatalog: no entry for the metric type \(type.rawValue)")
        }
        return spec
    }

    /// What the hot paths walk (the sample encoder for every line and frame, alert evaluation on the tick): the
    /// catalog without its words, plain values with no reference to count, so a pass over them costs what
    /// hand-written code did (`ServerBenchmarks`' sample encoding, `CollectorBenchmarks`' alert evaluation).
    public struct Layout: Sendable {
        public let key: StaticString
        public let field: SampleField
        public let format: MetricSpec.Format
    }

    /// The entries written in JSON, in order.
    public static let layout: [Layout] = metrics.filter(\.inJSON).map { Layout(key: $0.key, field: $0.field, format: $0.format) }

    /// The field each `MetricType` watches, by its `index`.
    public static let fieldByMetricType: [SampleField] = byMetricType.map(\.field)
}
