import Benchmark
import Logging
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
        let tickFixture = Fixture(count: count)
        Benchmark(
            "tick/\(count) containers",
            configuration: .init(setup: { try tickFixture.setUp() }, teardown: { tickFixture.tearDown() })
        ) { benchmark in
            let collector = tickFixture.collector!
            for _ in benchmark.scaledIterations { blackHole(collector.tick()) }
        }

        // The same tick with alert evaluation attached (default thresholds, nothing crossing them): the
        // steady state the daemon runs in. Its mallocs must equal the plain tick's.
        let alertFixture = Fixture(count: count, evaluatesAlerts: true)
        Benchmark(
            "tick/\(count) containers + alert evaluation",
            configuration: .init(setup: { try alertFixture.setUp() }, teardown: { alertFixture.tearDown() })
        ) { benchmark in
            let collector = alertFixture.collector!
            for _ in benchmark.scaledIterations { blackHole(collector.tick()) }
        }

        let floorFixture = Fixture(count: count)
        Benchmark(
            "floor/\(count) containers (raw pread, C)",
            configuration: .init(setup: { try floorFixture.setUp() }, teardown: { floorFixture.tearDown() })
        ) { benchmark in
            let buffer = floorFixture.buffer
            floorFixture.descriptors.withUnsafeBufferPointer { fds in
                for _ in benchmark.scaledIterations {
                    blackHole(raw_read_floor(fds.baseAddress, fds.count, buffer, 64 * 1024))
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
    var cgroups: TestCgroups?
    var collector: Collector?
    var descriptors: [Int32] = []
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 64 * 1024)

    init(count: Int, evaluatesAlerts: Bool = false) {
        self.count = count
        self.evaluatesAlerts = evaluatesAlerts
    }

    func setUp() throws {
        let made = try TestCgroups(count: count)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let c = Collector(options: .init(layout: made.layout, ringCapacity: 64), logger: logger)
        if evaluatesAlerts { c.add(sink: AlertEvaluator(thresholds: ThresholdTable(), log: AlertLog())) }
        c.inbox.post(.replaceAll(made.targets))
        c.tick()  // applies the targets: probes opened, rings allocated
        c.tick()  // first samples: every later tick is steady state
        c.tick()  // (and the evaluator has met every container)
        precondition(c.containerCount == count, "only \(c.containerCount) of \(count) cgroups monitored")
        cgroups = made
        collector = c
        descriptors = c.openDescriptors
    }

    func tearDown() {
        collector = nil
        descriptors = []
        cgroups?.remove()
        cgroups = nil
    }
}
