import Logging
import MonitorCore
import MonitorEncoding
import MonitorHealth
import NIOCore
import ServiceLifecycle
import Synchronization

/// Persists samples and alerts as JSONL (SPEC §7): `metrics_YYYY-MM-DD.jsonl`, `alerts_YYYY-MM-DD.jsonl`, one
/// object per line, UTC dates.
///
/// Nothing touches the disk on the collector's tick: as a sink it only copies the samples of a tick that is due
/// for persistence (every `persistInterval`) into one of a fixed set of reused batches (`SampleBatchPool`: no
/// allocation on the tick) and queues it. Its own thread (`wakedock-store`) encodes them into pending buffers;
/// another flushes those at least once a second and on shutdown. When the disk refuses (full, read-only,
/// directory deleted) the failure is counted and logged once, collection goes on, pending lines are kept up
/// to a cap, and writing resumes by itself when the disk accepts again.
public final class JSONLStore: HistoryStore, Service, Sendable {
    /// Lines waiting for the disk, per file.
    struct Pending {
        struct Key: Hashable {
            var prefix: String
            var day: Int64
        }
        var buffers: [Key: ByteBuffer] = [:]
        var lines: [Key: Int] = [:]
        var bytes = 0
        /// Once every pending rolled-up step is on disk: the time before which every line is (`RollupState`).
        /// Only ever raised (`raiseRollupsFoldedBefore`): a lower mark would vouch for less than is pending.
        private(set) var rollupsFoldedBefore: Int64?

        mutating func raiseRollupsFoldedBefore(to nanos: Int64?) {
            guard let nanos else { return }
            rollupsFoldedBefore = max(rollupsFoldedBefore ?? .min, nanos)
        }

        /// Adds rolled-up steps (by the day of their start) and the mark they make true once written; returns the
        /// lines the cap made it give up.
        mutating func appendSteps(_ steps: [Int64: (ByteBuffer, Int)], foldedBefore: Int64?) -> Int {
            var dropped = 0
            for (day, (lines, count)) in steps {
                dropped += append(lines, count: count, to: Key(prefix: RollupWriter.prefix, day: day))
            }
            raiseRollupsFoldedBefore(to: foldedBefore)
            return dropped
        }

        /// Adds whole lines to a file's buffer; returns how many lines the cap made it give up (the oldest).
        mutating func append(_ lines: ByteBuffer, count: Int, to key: Key) -> Int {
            var lines = lines
            buffers[key, default: ByteBuffer()].writeBuffer(&lines)
            self.lines[key, default: 0] += count
            bytes += lines.writerIndex
            var dropped = 0
            // The disk has been refusing for long enough to fill the cap: give up the oldest lines. Never the
            // rolled-up steps (a 300th of the lines): the watermark vouches for them once they are written.
            while bytes > JSONLStore.maxPendingBytes,
                let oldest = buffers.keys.filter({ $0.prefix != RollupWriter.prefix }).min(by: { $0.day < $1.day })
            {
                bytes -= buffers.removeValue(forKey: oldest)?.readableBytes ?? 0
                dropped += self.lines.removeValue(forKey: oldest) ?? 0
            }
            return dropped
        }
    }

    public let directory: String
    public let statistics: StoreStatistics
    public let health: HealthRegistry
    private let persistIntervalNanos: Atomic<Int64>
    private let lastPersisted = Atomic<Int64>(0)
    /// The previous tick's wall time: half the gap since it is the slack a due tick may come early by.
    private let lastTick = Atomic<Int64>(0)
    /// Each persisted line's rates over its whole period: applied by the store's own thread as it encodes, in
    /// the order ticks were persisted, so the collector's tick does not pay for it.
    private let periodRates = Mutex(PeriodRates())
    private let precision: @Sendable () -> TimestampPrecision
    private let logger: Logger
    /// The persisted ticks on their way from the collector's tick to the encoding task, without allocating.
    private let batches = SampleBatchPool(count: JSONLStore.queuedTicks)
    /// Persisted ticks that may wait for encoding; beyond, the newest are dropped (and counted).
    static let queuedTicks = 16
    private let alerts: AsyncStream<AlertRecord>
    private let alertInput: AsyncStream<AlertRecord>.Continuation
    private let pending = Mutex(Pending())
    /// Five-minute steps folded from the lines as they are encoded (the store's own thread, or `writeNow`'s).
    /// Locked before `pending` when both are: a step leaves the writer and enters the pending lines at once.
    private let rollups = Mutex(RollupWriter())
    /// What the rolled-up steps on disk cover (nil until the first line is folded in a directory without any),
    /// and the last state written beside them.
    private let rollupState: Mutex<(current: RollupState?, saved: RollupState?)>
    /// True once `rollupState.current` is set: the encoder's test on every batch, without the lock.
    private let rollupsBegun: Atomic<Bool>
    /// The start of the writer's open steps after its last fold (`Int64.max` when none): no query reads a
    /// rolled-up step from there on, whatever the state says.
    private let openStepsSince = Atomic<Int64>(.max)
    /// The end of the steps `rollupState.current` vouches for (`Int64.min` when none): the encoder's check that its
    /// open steps do not start before them (a wall clock gone back), without the lock.
    private let rollupsVouchedBefore: Atomic<Int64>
    /// Held while the state file is written, so that queries (which take `rollupState` only) never wait on the disk.
    private let rollupStateWriting = Mutex(())
    /// True when the directory had no metrics file at start: rollups then cover the first line's whole step.
    private let rollupsFromFirstLine: Bool
    private let files: Mutex<[String: DailyJSONLFile]>
    /// Closed files waiting to be compressed.
    private let closedFiles: AsyncStream<HistoryFileName>
    private let closedInput: AsyncStream<HistoryFileName>.Continuation
    /// A file is closed as a numbered part when it would grow past this (SPEC §7: 50 MB).
    public let maxFileBytes: Int
    public static let defaultMaxFileBytes = 50_000_000
    /// Pending bytes kept while the disk refuses writes; beyond, the oldest file's lines are dropped.
    static let maxPendingBytes = 32 << 20

    /// Days of history kept; applied at start and once a day.
    public let retentionDays: Atomic<Int>

    public init(
        directory: String, persistInterval: Duration, retentionDays: Int, maxFileBytes: Int = defaultMaxFileBytes,
        precision: @escaping @Sendable () -> TimestampPrecision, logger: Logger, health: HealthRegistry = HealthRegistry()
    ) {
        self.health = health
        statistics = StoreStatistics(health: health)
        self.directory = directory
        self.maxFileBytes = maxFileBytes
        self.retentionDays = Atomic(retentionDays)
        self.precision = precision
        self.logger = logger
        persistIntervalNanos = Atomic(persistInterval.saturatingNanoseconds)
        // Bounded: persisted ticks by the pool of batches (a tick finding none free is counted as dropped),
        // alerts by the stream (the newest win).
        (alerts, alertInput) = AsyncStream.makeStream(of: AlertRecord.self, bufferingPolicy: .bufferingNewest(256))
        (closedFiles, closedInput) = AsyncStream.makeStream(of: HistoryFileName.self)
        let closed = closedInput
        files = Mutex([
            "metrics": DailyJSONLFile(directory: directory, prefix: "metrics", maxBytes: maxFileBytes) { closed.yield($0) },
            "alerts": DailyJSONLFile(directory: directory, prefix: "alerts", maxBytes: maxFileBytes) { closed.yield($0) },
            Self.auditPrefix: DailyJSONLFile(directory: directory, prefix: Self.auditPrefix, maxBytes: maxFileBytes) { closed.yield($0) },
            RollupWriter.prefix: DailyJSONLFile(directory: directory, prefix: RollupWriter.prefix, maxBytes: maxFileBytes) { closed.yield($0) },
        ])
        let saved = RollupState.load(directory: directory, nowNanos: Clocks.wallNanos())
        rollupState = Mutex((saved, saved))
        rollupsBegun = Atomic(saved != nil)
        rollupsVouchedBefore = Atomic(saved?.vouchedBeforeNanos ?? .min)
        rollupsFromFirstLine = FileMaintenance.historyFiles(directory: directory, prefix: HistoryKind.metrics.rawValue).isEmpty
    }

    /// The records of the files this store writes, newest first.
    public func records(_ kind: HistoryKind, matching filter: StoredRecordFilter) -> any StoredRecordReader {
        StoredRecords(directory: directory, prefix: kind.rawValue, filter: filter)
    }

    public func setPersistInterval(_ interval: Duration) {
        persistIntervalNanos.store(interval.saturatingNanoseconds, ordering: .relaxed)
    }

    /// Applied to the files at the next daily pass (and at start).
    public func setRetentionDays(_ days: Int) {
        retentionDays.store(days, ordering: .relaxed)
    }

    /// Encodes and writes `samples` at once, on the caller's thread, rotating as usual (closed parts wait for
    /// `FileMaintenance.compressClosedFiles`). For tools that fill a history directory (the benchmarks); the
    /// daemon persists through the sink, never like this.
    public func writeNow(_ samples: [Sample]) {
        var samples = samples
        encode(&samples)
        flush()
    }

    /// The audit trail's files (SPEC §10): written, rotated, gzipped and expired like the others.
    public static let auditPrefix = "audit"

    /// Persists one line of the audit trail, through the same pending lines as the rest (never on the caller's
    /// disk time).
    public func persist(auditLine: ByteBuffer, timestampNanos: Int64) {
        var line = auditLine
        line.writeStaticString("\n")
        append(line, lines: 1, prefix: Self.auditPrefix, day: DailyJSONLFile.dayNumber(nanos: timestampNanos))
    }

    /// Persists an alert (or a resolution).
    public func persist(_ alert: AlertRecord) {
        if case .dropped = alertInput.yield(alert) { statistics.droppedLines.add(1) }
    }

    // MARK: Sink

    public func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        let previousTick = lastTick.exchange(tick.wallNanos, ordering: .relaxed)
        guard samples.count > 0,
            Self.isDue(
                tick: tick.wallNanos, previousTick: previousTick, lastPersisted: lastPersisted.load(ordering: .relaxed),
                interval: persistIntervalNanos.load(ordering: .relaxed))
        else { return }
        lastPersisted.store(tick.wallNanos, ordering: .relaxed)
        guard let batch = batches.fill(from: samples, wallNanos: tick.wallNanos) else {
            statistics.droppedLines.add(UInt64(samples.count))
            return
        }
        batches.pass(batch)
    }

    /// A tick is due when it is the nearest to the end of a persistence interval since the last persisted one
    /// (`NearestTick`; a fixed 1 ms slack made equal intervals skip ticks under scheduling jitter, seen under
    /// emulation in issue 11). A wall clock stepped back starts the pacing again from there rather than
    /// pausing persistence until the clock is back where it was. Wall times, any Int64: no arithmetic traps.
    static func isDue(tick: Int64, previousTick: Int64, lastPersisted: Int64, interval: Int64) -> Bool {
        guard tick >= lastPersisted else { return true }
        // tick ≥ the other: the wrapping difference's bit pattern is the exact distance.
        let gap = tick >= previousTick ? UInt64(bitPattern: tick &- previousTick) : 0
        return NearestTick.isDue(
            elapsed: UInt64(bitPattern: tick &- lastPersisted), period: UInt64(clamping: interval), gap: gap)
    }

    // MARK: Service

    public func run() async throws {
        // Before the first write: a crash may have left half a line at the end of a file, and steps not rolled up.
        FileMaintenance.repairTornLines(directory: directory, logger: logger)
        recoverRollups()
        // Retention first (nothing expired gets compressed), then what a previous run left: parts closed but
        // not compressed, and open files of days that are over.
        applyRetention()
        for file in FileMaintenance.leftovers(directory: directory, today: DailyJSONLFile.dayNumber(nanos: Clocks.wallNanos())) {
            closedInput.yield(file)
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Retention once a day (and at start, above).
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(86_400))
                        if !Task.isCancelled { self.applyRetention() }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(500))
                        self.flush()
                    }
                }
                group.addTask {
                    // Compression of closed files, one at a time, in the background.
                    for await file in self.closedFiles { self.compress(file) }
                }
                async let alertsEncoded: Void = { for await alert in self.alerts { self.encode(alert) } }()
                // Encoding on a thread of its own, woken by the tick with no allocation (SampleBatchPool).
                await withTaskCancellationHandler {
                    await DedicatedThread.run(named: "wakedock-store") {
                        while let batch = self.batches.next() {
                            batch.withSamples { self.encode(&$0) }
                            self.batches.recycle(batch)
                        }
                    }
                } onCancel: {
                    self.batches.finish()
                }
                // The alerts queued before shutdown are written too.
                self.alertInput.finish()
                await alertsEncoded
                self.closedInput.finish()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.batches.finish()
            self.alertInput.finish()
        }
        closeRollups()
        flush()
        let persistedSamples = health.readings().count(StoreStatistics.Names.lines, labels: ["kind": "samples"])
        logger.info(
            "history flushed",
            metadata: [
                "storage_path": "\(directory)", "samples": "\(persistedSamples)",
            ])
    }

    private func applyRetention() {
        FileMaintenance.applyRetention(
            directory: directory, retentionDays: retentionDays.load(ordering: .relaxed),
            today: DailyJSONLFile.dayNumber(nanos: Clocks.wallNanos()), logger: logger)
    }

    private func compress(_ file: HistoryFileName) {
        let path = directory + "/" + file.name
        do {
            let (raw, compressed) = try GzipHistoryFile.compress(plainPath: path)
            statistics.filesCompressed.add(1)
            statistics.bytesBeforeCompression.add(UInt64(raw))
            statistics.bytesAfterCompression.add(UInt64(compressed))
            logger.info(
                "history file compressed",
                metadata: ["file": "\(file.name).gz", "bytes": "\(raw)", "compressed_bytes": "\(compressed)"])
        } catch {
            // The plain file stays readable and is compressed at the next start.
            statistics.compressionFailures.add(1)
            logger.warning("cannot compress history file; it stays as it is", metadata: ["file": "\(file.name)", "error": "\(error)"])
        }
    }

    private func encode(_ alert: AlertRecord) {
        var buffer = ByteBuffer()
        buffer.writeAlertJSON(alert, precision: precision())
        buffer.writeStaticString("\n")
        append(buffer, lines: 1, prefix: "alerts", day: DailyJSONLFile.dayNumber(nanos: alert.timestampNanos))
    }

    /// One persisted tick's lines: their rates over the whole period since the previous persisted tick, then
    /// the JSON.
    private func encode<Samples: MutableCollection<Sample> & RandomAccessCollection>(_ samples: inout Samples) {
        guard let first = samples.first else { return }
        let precision = self.precision()
        periodRates.withLock { $0.apply(to: &samples) }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(samples.count * 720)
        for sample in samples {
            buffer.writeSampleJSON(sample, precision: precision)
            buffer.writeStaticString("\n")
        }
        let metrics = Pending.Key(prefix: HistoryKind.metrics.rawValue, day: DailyJSONLFile.dayNumber(nanos: first.timestampNanos))
        let dropped = rollups.withLock { writer -> Int in
            var closed: [Int64: (ByteBuffer, Int)] = [:]
            let folded = writer.fold(buffer, precision: precision, into: &closed)
            if !rollupsBegun.load(ordering: .acquiring) { beginRollups(firstLineNanos: writer.oldestLineNanos) }
            // Open steps before what is vouched for, or a line back in an earlier step: the clock went back (while
            // running, or while the daemon was down).
            let vouched = rollupsVouchedBefore.load(ordering: .acquiring)
            if folded.steppedBackFrom != nil || (folded.foldedBefore.map { $0 < vouched } ?? false) {
                restartRollups(since: max(vouched, folded.steppedBackFrom ?? .min) &+ RollupWriter.stepNanos)
            }
            openStepsSince.store(folded.foldedBefore ?? .max, ordering: .releasing)
            return pending.withLock { p in
                p.append(buffer, count: samples.count, to: metrics) + p.appendSteps(closed, foldedBefore: folded.foldedBefore)
            }
        }
        if dropped > 0 { statistics.droppedLines.add(UInt64(dropped)) }
    }

    /// The wall clock went back across a step: the steps it went back over may now be written twice, so the
    /// rolled-up steps begin anew after them (queries read the lines until the clock is past them again).
    private func restartRollups(since: Int64) {
        changeRollupState { $0 = RollupState(sinceNanos: since, foldedBeforeNanos: since) }
        logger.warning(
            "the wall clock went back; stepped queries read the lines until it is past where it was",
            metadata: ["storage_path": "\(directory)"])
    }

    /// The first line folded in a directory whose rollups had not begun: from its step on if the directory
    /// was new, else from the next step (lines of its step may have been written before, and not rolled up).
    private func beginRollups(firstLineNanos: Int64) {
        guard firstLineNanos != .max else { return }
        // Written beside the steps with the first of them (the directory may not exist before).
        rollupState.withLock { state in
            guard state.current == nil else { return }
            let step = RollupWriter.stepStart(firstLineNanos)
            let since = rollupsFromFirstLine || step == firstLineNanos ? step : step &+ RollupWriter.stepNanos
            state.current = RollupState(sinceNanos: since, foldedBeforeNanos: since)
        }
        rollupsBegun.store(true, ordering: .releasing)
    }

    public func rolledUpSteps() -> Range<Int64>? {
        guard let state = rollupState.withLock({ $0.current }) else { return nil }
        let before = min(state.readableBeforeNanos, openStepsSince.load(ordering: .acquiring))
        return state.sinceNanos < before ? state.sinceNanos..<before : nil
    }

    /// Writes every container's open five-minute step (at shutdown, and for tools that fill a directory).
    public func closeRollups() {
        let precision = self.precision()
        let dropped = rollups.withLock { writer -> Int in
            var closed: [Int64: (ByteBuffer, Int)] = [:]
            let foldedBefore = writer.closeAll(precision: precision, into: &closed)
            openStepsSince.store(.max, ordering: .releasing)
            return pending.withLock { $0.appendSteps(closed, foldedBefore: foldedBefore) }
        }
        if dropped > 0 { statistics.droppedLines.add(UInt64(dropped)) }
    }

    /// At start, before any line is written: the steps a crashed run left unwritten are folded again from its
    /// lines (`RollupRecovery`).
    func recoverRollups() {
        guard let state = rollupState.withLock({ $0.current }),
            let recovered = RollupRecovery.fold(directory: directory, foldedBeforeNanos: state.foldedBeforeNanos, precision: precision())
        else { return }
        if recovered.complete {
            let count = recovered.steps.values.reduce(0) { $0 + $1.1 }
            let dropped = pending.withLock { $0.appendSteps(recovered.steps, foldedBefore: recovered.foldedBeforeNanos) }
            if dropped > 0 { statistics.droppedLines.add(UInt64(dropped)) }
            logger.notice("rolled up the steps a previous run left open", metadata: ["steps": "\(count)", "storage_path": "\(directory)"])
        } else {
            // Too many to fold: rolled-up steps begin anew after the previous run's last line.
            let since = RollupWriter.stepStart(recovered.foldedBeforeNanos) &+ RollupWriter.stepNanos
            changeRollupState { $0 = RollupState(sinceNanos: since, foldedBeforeNanos: since) }
            logger.warning(
                "too many steps left open by a previous run to roll up; stepped queries read its lines",
                metadata: ["storage_path": "\(directory)"])
        }
        flush()
    }

    /// Changes what the rolled-up steps cover, and writes it beside them when it differs from what is there
    /// (a failed write is tried again at the next change or flush).
    private func changeRollupState(_ change: (inout RollupState?) -> Void) {
        rollupStateWriting.withLock { _ in
            let new = rollupState.withLock { state -> RollupState? in
                change(&state.current)
                rollupsVouchedBefore.store(state.current?.vouchedBeforeNanos ?? .min, ordering: .releasing)
                return state.current != state.saved ? state.current : nil
            }
            guard let new else { return }
            do {
                try new.save(directory: directory)
                rollupState.withLock { $0.saved = new }
            } catch {
                // Queries still read the steps this run wrote; after a crash the steps since the last state saved
                // would be folded twice (their means stay right, their `samples` double).
                statistics.writeFailures.add(1)
                logger.warning("cannot save the rolled-up steps' state", metadata: ["error": "\(error)", "storage_path": "\(directory)"])
            }
        }
    }

    private func append(_ lines: ByteBuffer, lines count: Int, prefix: String, day: Int64) {
        let dropped = pending.withLock { $0.append(lines, count: count, to: Pending.Key(prefix: prefix, day: day)) }
        if dropped > 0 { statistics.droppedLines.add(UInt64(dropped)) }
    }

    /// Writes every pending buffer; what the disk refuses stays pending for the next flush.
    public func flush() {
        let taken = pending.withLock { p -> Pending in
            let taken = p
            p = Pending()
            return taken
        }
        guard !taken.buffers.isEmpty else { return }
        var failed = Pending()
        var lastError: StoreError?
        var rollupsFailed = false
        for (key, buffer) in taken.buffers.sorted(by: { $0.key.day < $1.key.day }) {
            do {
                let recreated = try files.withLock { files throws(DailyJSONLFile.PartialWrite) in
                    try files[key.prefix]?.write(buffer, day: key.day) ?? false
                }
                if recreated {
                    statistics.filesRecreated.add(1)
                    logger.warning("history file had been deleted; created it anew", metadata: ["storage_path": "\(directory)"])
                }
                statistics.bytesWritten.add(UInt64(buffer.readableBytes))
                let lines = UInt64(taken.lines[key] ?? 0)
                statistics.persisted(lines, prefix: key.prefix)
            } catch {
                // The whole lines the disk took are in the file: count them, keep exactly the rest.
                lastError = error.error
                if key.prefix == RollupWriter.prefix { rollupsFailed = true }
                var rest = buffer
                rest.moveReaderIndex(forwardBy: error.kept)
                let linesIn = buffer.withUnsafeReadableBytes { Lines.count(UnsafeRawBufferPointer(rebasing: $0[..<error.kept])) }
                let linesLeft = max((taken.lines[key] ?? 0) - linesIn, 0)
                if error.kept > 0 {
                    statistics.bytesWritten.add(UInt64(error.kept))
                    statistics.persisted(UInt64(linesIn), prefix: key.prefix)
                }
                failed.buffers[key] = rest
                failed.lines[key] = linesLeft
                failed.bytes += rest.readableBytes
            }
        }
        if let lastError {
            statistics.writeFailures.add(1)
            statistics.lastError.withLock { $0 = lastError.description }
            if !statistics.setFailing(true) {
                logger.error("history write failed; collection goes on, lines kept in memory until the disk accepts them",
                             metadata: ["error": "\(lastError)", "storage_path": "\(directory)"])
            }
            // Put back what failed, before anything that arrived meanwhile.
            pending.withLock { p in
                for (key, var buffer) in failed.buffers {
                    if var newer = p.buffers[key] { buffer.writeBuffer(&newer) }
                    p.buffers[key] = buffer
                    p.lines[key, default: 0] += failed.lines[key] ?? 0
                }
                p.bytes += failed.bytes
                // The steps that failed are older than any pending since: their watermark stands until they are written.
                if rollupsFailed { p.raiseRollupsFoldedBefore(to: taken.rollupsFoldedBefore) }
            }
        } else if statistics.setFailing(false) {
            logger.notice("history writes resumed", metadata: ["storage_path": "\(directory)"])
        }
        if !rollupsFailed, let foldedBefore = taken.rollupsFoldedBefore {
            // Never back: a clock stepped back, or a restart inside the step a clean shutdown wrote up to.
            changeRollupState { state in
                state = RollupState(
                    sinceNanos: state?.sinceNanos ?? foldedBefore,
                    foldedBeforeNanos: max(state?.foldedBeforeNanos ?? .min, foldedBefore))
            }
        }
    }
}
