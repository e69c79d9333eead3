import Benchmark
import Logging
import CSupport
import MonitorCore
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
        let variants = [
            ("(0.1 s cadence)", ReadCadence.standard, false, true),
            ("(0.1 s cadence, network per namespace)", ReadCadence.standard, false, false),
            ("(every file)", ReadCadence.everything, false, false),
            ("(0.1 s cadence) + alert evaluation", ReadCadence.standard, true, true),
        ]
        for (variant, cadence, evaluatesAlerts, hostSideNetwork) in variants {
            let tickFixture = Fixture(count: count, evaluatesAlerts: evaluatesAlerts, cadence: cadence, hostSideNetwork: hostSideNetwork)
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
    let count: Int
    let evaluatesAlerts: Bool
    let cadence: ReadCadence
    let hostSideNetwork: Bool
    var cgroups: TestCgroups?
    var collector: Collector?
    var descriptors: [Int32] = []
    var sixFileDescriptors: [Int32] = []
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 64 * 1024)
    /// The simulated monotonic clock of the ticks, 0.1 s a tick.
    private var tickTime: UInt64 = 1_000_000_000_000

    init(count: Int, evaluatesAlerts: Bool = false, cadence: ReadCadence = .standard, hostSideNetwork: Bool) {
        self.count = count
        self.evaluatesAlerts = evaluatesAlerts
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
        if evaluatesAlerts { c.add(sink: AlertEvaluator(thresholds: ThresholdTable(), log: AlertLog())) }
        c.inbox.post(.replaceAll(made.targets))
        c.tick(at: nextTickTime())  // applies the targets: probes opened, rings allocated
        c.tick(at: nextTickTime())  // first samples: every later tick is steady state
        c.tick(at: nextTickTime())  // (and the evaluator has met every container)
        precondition(c.containerCount == count, "only \(c.containerCount) of \(count) cgroups monitored")
        let fromHost = c.statistics.hostNetworkContainers.load(ordering: .relaxed)
        precondition(fromHost == (hostSideNetwork ? count : 0), "\(fromHost) of \(count) containers' network from the host side")
        cgroups = made
        collector = c
        descriptors = c.openDescriptors
        // v1 names (this host): cpuacct.usage, memory.usage_in_bytes, memory.limit_in_bytes, memory.stat,
        // pids.current, /proc/<pid>/net/dev.
        sixFileDescriptors = c.descriptors(of: [WD_F_CPU_USAGE, WD_F_MEM_USAGE, WD_F_MEM_LIMIT, WD_F_MEM_STAT, WD_F_PIDS, WD_F_NETDEV])
    }

    func tearDown() {
        collector = nil
        descriptors = []
        cgroups?.remove()
        cgroups = nil
    }
}
