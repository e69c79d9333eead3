import MonitorHealth
import Synchronization

/// What the store did, counted into the daemon's health registry (`wakedock_store_…`) and read back by
/// `status` and `statistics`.
public final class StoreStatistics: Sendable {
    public let samplesPersisted: HealthCounter
    public let alertsPersisted: HealthCounter
    /// Five-minute steps written to `rollup300_…` files.
    public let rollupsPersisted: HealthCounter
    /// Lines of the audit trail written to `audit_…` files.
    public let auditPersisted: HealthCounter
    public let bytesWritten: HealthCounter
    /// write(2)/open(2) calls that failed (disk full, read-only, directory gone…).
    public let writeFailures: HealthCounter
    /// Lines given up because the pending buffer hit its cap while the disk refused them.
    public let droppedLines: HealthCounter
    /// Open files found deleted (with their directory, say) and created anew.
    public let filesRecreated: HealthCounter
    /// Closed files compressed, and their sizes before and after.
    public let filesCompressed: HealthCounter
    public let bytesBeforeCompression: HealthCounter
    public let bytesAfterCompression: HealthCounter
    public let compressionFailures: HealthCounter
    /// 1 while writes are failing (the gauge of `failing`).
    private let failingGauge: HealthGauge
    public let lastError = Mutex<String?>(nil)
    /// True while writes are failing: the store's state, not a figure (its gauge follows it).
    private let failingFlag = Atomic<Bool>(false)

    public init(health: HealthRegistry) {
        samplesPersisted = health.counter(Names.lines, help: Names.linesHelp, labels: [("kind", "samples")])
        alertsPersisted = health.counter(Names.lines, help: Names.linesHelp, labels: [("kind", "alerts")])
        rollupsPersisted = health.counter(Names.lines, help: Names.linesHelp, labels: [("kind", "rollups")])
        auditPersisted = health.counter(Names.lines, help: Names.linesHelp, labels: [("kind", "audit")])
        bytesWritten = health.counter(Names.bytesWritten, help: "Bytes written to history files")
        writeFailures = health.counter(Names.writeFailures, help: "History writes or opens that failed (disk full, read-only…)")
        droppedLines = health.counter(Names.droppedLines, help: "History lines given up while the disk refused writes")
        filesRecreated = health.counter(Names.filesRecreated, help: "History files found deleted and created anew")
        filesCompressed = health.counter(Names.filesCompressed, help: "Closed history files gzipped")
        bytesBeforeCompression = health.counter(Names.compressionInput, help: "Bytes of history files before gzip")
        bytesAfterCompression = health.counter(Names.compressionOutput, help: "Bytes of history files after gzip")
        compressionFailures = health.counter(Names.compressionFailures, help: "History files that could not be gzipped")
        failingGauge = health.gauge(Names.failing, help: "1 while history writes are failing")
    }

    public enum Names {
        public static let lines = "wakedock_store_lines_total"
        static let linesHelp = "History lines persisted, by kind"
        public static let bytesWritten = "wakedock_store_bytes_written_total"
        public static let writeFailures = "wakedock_store_write_failures_total"
        public static let droppedLines = "wakedock_store_dropped_lines_total"
        public static let filesRecreated = "wakedock_store_files_recreated_total"
        public static let filesCompressed = "wakedock_store_files_compressed_total"
        public static let compressionInput = "wakedock_store_compression_input_bytes_total"
        public static let compressionOutput = "wakedock_store_compression_output_bytes_total"
        public static let compressionFailures = "wakedock_store_compression_failures_total"
        public static let failing = "wakedock_store_failing"
    }

    public var failing: Bool { failingFlag.load(ordering: .relaxed) }

    /// Lines of a file of `prefix` now on disk.
    func persisted(_ lines: UInt64, prefix: String) {
        switch HistoryKind(rawValue: prefix) {
        case .metrics: samplesPersisted.add(lines)
        case .alerts: alertsPersisted.add(lines)
        case .rollups: rollupsPersisted.add(lines)
        case nil: if prefix == JSONLStore.auditPrefix { auditPersisted.add(lines) }
        }
    }

    /// Sets whether writes are failing; returns what it was (the store logs the transitions).
    func setFailing(_ failing: Bool) -> Bool {
        let was = failingFlag.exchange(failing, ordering: .relaxed)
        if was != failing { failingGauge.set(to: failing ? 1.0 : 0.0) }
        return was
    }
}
