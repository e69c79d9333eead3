import Benchmark
import Logging
import CSupport
import Foundation
import Synchronization
import MonitorCore
import MonitorRuntime
import MonitorServer
import MonitorStore
import RawReadFloor

/// One collection tick over N real cgroups, against the raw-read floor (the same preads on the same kind of
/// kept descriptors in a minimal C loop) and an empty benchmark (the harness's own malloc floor), in one run.
///
/// Read the ratios, not the absolute times: these machines are noisy.
///   tick ÷ floor                    — what parsing, arithmetic and bookkeeping cost on top of the syscalls
///   mallocs(tick) − mallocs(empty)  — allocations per tick in steady state (target: 0)
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 20,
        maxDuration: .seconds(3),
        maxIterations: 20_000)

    Benchmark("empty") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(benchmark.currentIteration) }
    }

    // Alert evaluation alone: one tick of 100 samples against the 4 default thresholds plus a service
    // override, nothing crossing them (steady state: must not allocate).
    for withOverride in [false, true] {
    Benchmark("alerts/evaluate one tick of 100 samples\(withOverride ? " (with a service override)" : "")") { benchmark in
        let table = ThresholdTable()
        if withOverride { table.set(Threshold(warning: 150, critical: 190), for: .cpuPercent, scope: .service("svc-3")) }
        let evaluator = AlertEvaluator(thresholds: table, log: AlertLog())
        let samples = (0..<100).map { i -> Sample in
            var s = Sample(
                container: ContainerIdentity(id: String(format: "%064x", i + 1), name: "c\(i)", serviceName: "svc-\(i % 10)"),
                timestampNanos: 1_737_023_400_000_000_000)
            s.cpuPercent = Double(i % 50)
            s.memoryPercent = 40
            return s
        }
        var tick = TickInfo(sequence: 1, wallNanos: 0, durationNanos: 0)
        evaluator.collector(didCollect: samples.span, tick: tick)  // meets every container once
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            tick.sequence &+= 1
            evaluator.collector(didCollect: samples.span, tick: tick)
        }
        benchmark.stopMeasurement()
    }
    }

    for count in [10, 100] {
        // Ticks on a simulated clock 0.1 s apart, so that each file is read at the rate ReadCadence gives it
        // at a 0.1 s interval (memory.stat and the like one tick in ten, PSI one in twenty) however fast the
        // harness runs them; `every file` is the same tick reading all 13 files every time (before the cadence);
        // `+ alert evaluation` adds the evaluator as a sink (default thresholds, nothing crossing them), the
        // steady state the daemon runs in: its mallocs must equal the plain tick's. `network per namespace`
        // reads each container's own /proc/<pid>/net/dev (before the host-side read), `every file` too.
        // `+ alerts, two hand-offs` adds, beside the evaluator, two sinks that pass every tick's samples to a
        // waiting task of their own exactly as the store and the WebSocket hub do (`SampleBatchPool`), the tasks
        // taking each batch and giving it back: the tick's side of the daemon's pipeline, whose mallocs must
        // equal the plain tick's. `+ store, alerts, batch subscriber` is that whole pipeline: the store
        // persisting every tick and the hub fanning each tick out to one subscriber to every metric in batch
        // mode, their tasks running beside the tick. Its malloc count is the process's, so it includes what
        // those tasks allocate: the message buffer each tick sends, the store's buffers per persisted tick.
        let variants: [(String, ReadCadence, Fixture.Sinks, Bool)] = [
            ("(0.1 s cadence)", .standard, .none, true),
            ("(0.1 s cadence, network per namespace)", .standard, .none, false),
            ("(every file)", .everything, .none, false),
            ("(0.1 s cadence) + alert evaluation", .standard, .alerts, true),
            ("(0.1 s cadence) + alerts, two hand-offs", .standard, .handOffs, true),
            ("(0.1 s cadence) + store, alerts, batch subscriber", .standard, .daemon, true),
        ]
        for (variant, cadence, sinks, hostSideNetwork) in variants {
            let tickFixture = Fixture(count: count, sinks: sinks, cadence: cadence, hostSideNetwork: hostSideNetwork)
            Benchmark(
                "tick/\(count) containers \(variant)",
                configuration: .init(setup: { try tickFixture.setUp() }, teardown: { tickFixture.tearDown() })
            ) { benchmark in
                let collector = tickFixture.collector!
                for _ in benchmark.scaledIterations { blackHole(collector.tick(at: tickFixture.nextTickTime())) }
            }
        }

        // The naive floor of issue 12: the six files one `docker stats` sample needs (CPU usage, memory usage,
        // limit and stat, pids, net/dev), every time, in a minimal C loop; and all 13 files the same way.
        for (label, sixFiles) in [("six files, raw pread, C", true), ("raw pread, C", false)] {
            let floorFixture = Fixture(count: count, hostSideNetwork: false)
            Benchmark(
                "floor/\(count) containers (\(label))",
                configuration: .init(setup: { try floorFixture.setUp() }, teardown: { floorFixture.tearDown() })
            ) { benchmark in
                let buffer = floorFixture.buffer
                (sixFiles ? floorFixture.sixFileDescriptors : floorFixture.descriptors).withUnsafeBufferPointer { fds in
                    for _ in benchmark.scaledIterations {
                        blackHole(raw_read_floor(fds.baseAddress, fds.count, buffer, 64 * 1024))
                    }
                }
            }
        }
    }
}

/// N real cgroups with a collector watching them. The floor reads the descriptors that collector's probes
/// opened, so both benchmarks read exactly the same set of files.
final class Fixture: @unchecked Sendable {
    // @unchecked: set up, used and torn down by the benchmark harness one step at a time, never concurrently.
    enum Sinks {
        case none
        /// The alert evaluator (default thresholds, nothing crossing them).
        case alerts
        /// The evaluator and two sinks handing every tick to a waiting task, as the store and the hub do.
        case handOffs
        /// The evaluator, a JSONL store persisting every tick and a WebSocket hub with one subscriber to every
        /// metric in batch mode, with the store's, the hub's and the subscriber's tasks running.
        case daemon
    }
    let count: Int
    let sinks: Sinks
    let cadence: ReadCadence
    let hostSideNetwork: Bool
    var cgroups: TestCgroups?
    var collector: Collector?
    var descriptors: [Int32] = []
    var sixFileDescriptors: [Int32] = []
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 64 * 1024)
    /// The simulated monotonic clock of the ticks, 0.1 s a tick.
    private var tickTime: UInt64 = 1_000_000_000_000

    /// The store's, the hub's and the subscriber's tasks (`.daemon`), and the store's folder.
    private var tasks: [Task<Void, Never>] = []
    private var storeDirectory: String?
    private var handOffs: [HandOffSink] = []
    /// Bytes the subscriber received (printed at teardown: the pipeline ran).
    private let received = ReceivedBytes()

    init(count: Int, sinks: Sinks = .none, cadence: ReadCadence = .standard, hostSideNetwork: Bool) {
        self.count = count
        self.sinks = sinks
        self.cadence = cadence
        self.hostSideNetwork = hostSideNetwork
    }

    func nextTickTime() -> UInt64 {
        tickTime &+= 100_000_000
        return tickTime
    }

    func setUp() throws {
        let made = try TestCgroups(count: count)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let c = Collector(
            options: .init(layout: made.layout, ringCapacity: 64, cadence: cadence, hostSideNetwork: hostSideNetwork), logger: logger)
        if sinks != .none { c.add(sink: AlertEvaluator(thresholds: ThresholdTable(), log: AlertLog())) }
        if sinks == .daemon { attachStoreAndSubscriber(to: c, logger: logger) }
        if sinks == .handOffs {
            for _ in 0..<2 {
                let sink = HandOffSink()
                c.add(sink: sink)
                handOffs.append(sink)
                tasks.append(Task { await sink.consume() })
            }
        }
        c.inbox.post(.replaceAll(made.targets))
        c.tick(at: nextTickTime())  // applies the targets: probes opened, rings allocated
        c.tick(at: nextTickTime())  // first samples: every later tick is steady state
        c.tick(at: nextTickTime())  // (and the evaluator has met every container)
        precondition(c.containerCount == count, "only \(c.containerCount) of \(count) cgroups monitored")
        let fromHost = Int(clamping: c.health.readings().count(CollectorStatistics.Names.hostNetwork))
        precondition(fromHost == (hostSideNetwork ? count : 0), "\(fromHost) of \(count) containers' network from the host side")
        cgroups = made
        collector = c
        descriptors = c.openDescriptors
        // v1 names (this host): cpuacct.usage, memory.usage_in_bytes, memory.limit_in_bytes, memory.stat,
        // pids.current, /proc/<pid>/net/dev.
        sixFileDescriptors = c.descriptors(of: [WD_F_CPU_USAGE, WD_F_MEM_USAGE, WD_F_MEM_LIMIT, WD_F_MEM_STAT, WD_F_PIDS, WD_F_NETDEV])
    }

    private func attachStoreAndSubscriber(to collector: Collector, logger: Logger) {
        let directory = NSTemporaryDirectory() + "wd-bench-store-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        storeDirectory = directory
        let store = JSONLStore(
            directory: directory, persistInterval: .zero, retentionDays: 7, precision: { .milliseconds }, logger: logger)
        collector.add(sink: store)
        let service = CollectorService(collector: collector, interval: .milliseconds(100), logger: logger)
        let runtime = MonitoringRuntime(
            collection: service, thresholds: ThresholdTable(), alerts: AlertLog(), history: store, storagePath: directory,
            retentionDays: 7, logger: logger)
        let hub = MonitorServer.makeHub(
            runtime: runtime, statistics: ServerStatistics(health: runtime.health),
            options: ServerOptions(
                host: "127.0.0.1", port: 0, wsMaxClients: 10, wsPingInterval: .seconds(30), wsClientTimeout: .seconds(60), wsQueueSize: 1024))
        collector.add(sink: hub)
        let client = hub.admit()!
        client.subscribeToMetrics(batch: true, hub: hub)
        tasks = [
            Task { try? await store.run() },
            Task { try? await hub.run() },
            Task { [received] in
                for await message in client.stream { received.bytes.add(message.readableBytes, ordering: .relaxed) }
            },
        ]
    }

    func tearDown() {
        for sink in handOffs { sink.pool.finish() }
        handOffs = []
        if sinks == .daemon { FileHandle.standardError.write(Data("subscriber received \(received.bytes.load(ordering: .relaxed)) bytes\n".utf8)) }
        for task in tasks { task.cancel() }
        tasks = []
        if let storeDirectory { try? FileManager.default.removeItem(atPath: storeDirectory) }
        storeDirectory = nil
        collector = nil
        descriptors = []
        cgroups?.remove()
        cgroups = nil
    }
}

final class ReceivedBytes: Sendable {
    let bytes = Atomic<Int>(0)
}

/// A sink that hands every tick to a task of its own the way the store and the WebSocket hub do, and a task
/// that takes each batch and gives it back, doing nothing else.
final class HandOffSink: SampleSink, Sendable {
    let pool = SampleBatchPool(count: 4)
    let dropped = Atomic<Int>(0)

    func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        guard let batch = pool.fill(from: samples, wallNanos: tick.wallNanos) else {
            dropped.add(1, ordering: .relaxed)
            return
        }
        pool.pass(batch)
    }

    func consume() async {
        await DedicatedThread.run(named: "bench-consumer") {
            while let batch = self.pool.next() {
                blackHole(batch.samples.count)
                self.pool.recycle(batch)
            }
        }
    }
}
