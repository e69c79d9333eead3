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

    for count in [10, 100] {
        let tickFixture = Fixture(count: count)
        Benchmark(
            "tick/\(count) containers",
            configuration: .init(setup: { try tickFixture.setUp() }, teardown: { tickFixture.tearDown() })
        ) { benchmark in
            let collector = tickFixture.collector!
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
    var cgroups: TestCgroups?
    var collector: Collector?
    var descriptors: [Int32] = []
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 64 * 1024)

    init(count: Int) { self.count = count }

    func setUp() throws {
        let made = try TestCgroups(count: count)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let c = Collector(options: .init(layout: made.layout, ringCapacity: 64), logger: logger)
        c.inbox.post(.replaceAll(made.targets))
        c.tick()  // applies the targets: probes opened, rings allocated
        c.tick()  // first samples: every later tick is steady state
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
