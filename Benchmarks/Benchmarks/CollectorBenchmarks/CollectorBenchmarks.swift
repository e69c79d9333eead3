import Benchmark
import Logging
import MonitorCore
import RawReadFloor

/// One collection tick over N real cgroups, against the raw-read floor (the same preads on the same kept
/// descriptors in a minimal C loop) and an empty benchmark (the harness's own malloc floor), in one run.
///
/// Read the ratios, not the absolute times: these machines are noisy.
///   tick ÷ floor           — what our parsing, arithmetic and bookkeeping cost on top of the syscalls
///   mallocs(tick) − mallocs(empty) — allocations per tick in steady state (target: 0)
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
        // One fixture per size, shared by the tick and the floor so both read the very same descriptors.
        nonisolated(unsafe) var cgroups: TestCgroups?
        nonisolated(unsafe) var collector: Collector?
        nonisolated(unsafe) var descriptors: [Int32] = []
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 64 * 1024)

        let setUp: @Sendable () async throws -> Void = {
            guard collector == nil else { return }
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
        let tearDown: @Sendable () async throws -> Void = {
            collector = nil
            cgroups?.remove()
            cgroups = nil
        }

        Benchmark("tick/\(count) containers", configuration: .init(setup: setUp)) { benchmark in
            let c = collector!
            for _ in benchmark.scaledIterations { blackHole(c.tick()) }
        }

        Benchmark("floor/\(count) containers (raw pread, C)", configuration: .init(setup: setUp, teardown: tearDown)) { benchmark in
            descriptors.withUnsafeBufferPointer { fds in
                for _ in benchmark.scaledIterations {
                    blackHole(raw_read_floor(fds.baseAddress, fds.count, buffer, 64 * 1024))
                }
            }
        }
    }
}
