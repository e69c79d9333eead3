import Benchmark
import Logging
import MonitorCore
import Metrics
import MonitorEncoding
import MonitorHealth
import MonitorRuntime
import MonitorServer
import MonitorStore
import NIOCore

/// The HTTP layer's hot paths: writing one sample as JSON, a Prometheus scrape of 100 containers, and fanning
/// one tick of 50 containers out to 100 WebSocket subscribers (filter, encode once per sample, enqueue per
/// client).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput], warmupIterations: 10,
        maxDuration: .seconds(3), maxIterations: 100_000)

    let identity = ContainerIdentity(
        id: String(repeating: "ab", count: 32), name: "web-server-1", serviceName: "web", projectName: "shop")
    var sample = Sample(container: identity, timestampNanos: 1_737_023_400_250_000_000)
    sample.cpuPercent = 25.5
    sample.memoryUsage = 536_870_912
    sample.memoryLimit = 1_073_741_824
    sample.memoryPercent = 50
    sample.networkRxBytes = 1_048_576
    sample.networkTxBytes = 2_097_152
    sample.pids = 15
    let oneSample = sample

    Benchmark("empty") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(benchmark.currentIteration) }
    }

    // The buffer is made before the measurement starts: its two allocations are not the encoder's (a loop
    // that only clears it counts the same 18 as this one, against 16 for "empty").
    Benchmark("encode/one sample (JSON into a reused ByteBuffer)") { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 4096)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            buffer.writeSampleJSON(oneSample, precision: .milliseconds)
            blackHole(buffer.readableBytes)
        }
    }

    // A Prometheus scrape of 100 containers, as `GET /metrics` writes it: every container's newest sample into
    // one buffer (the samples are given here; the daemon decodes each from its ring first). The buffer is made
    // before the measurement; the array of the containers is the scrape's one allocation of its own.
    Benchmark("exposition/a scrape of 100 containers (Prometheus text)", configuration: .init(maxIterations: 20_000)) { benchmark in
        let series = (0..<100).map { i -> ContainerSeries in
            let identity = ContainerIdentity(
                id: String(format: "%064x", i + 1), name: "c\(i)", serviceName: "svc", projectName: "shop", image: "busybox")
            return ContainerSeries(identity: identity, capacity: 4, cgroupPath: "/docker/" + identity.id)
        }
        let samples = series.map { s -> Sample in
            var sample = oneSample
            sample.container = s.identity
            return sample
        }
        var buffer = ByteBufferAllocator().buffer(capacity: 512 * 1024)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            var containers: [ExposedContainer] = []
            containers.reserveCapacity(series.count)
            for (s, sample) in zip(series, samples) { containers.append(ExposedContainer(series: s, sample: sample)) }
            buffer.writeExposition(of: containers, format: .prometheusText)
            blackHole(buffer.readableBytes)
        }
    }

    // The daemon's own health as a scrape appends it: every part's counters (collector, store, WebSocket, HTTP
    // guard) and 24 request series (a dozen routes, two statuses, with their duration histograms),
    // emitted by swift-prometheus into a reused buffer.
    Benchmark("exposition/the daemon's health (wakedock_ series)", configuration: .init(maxIterations: 20_000)) { benchmark in
        let health = HealthRegistry()
        let collector = CollectorStatistics(health: health)
        _ = StoreStatistics(health: health)
        _ = ServerStatistics(health: health)
        for i in 0..<1000 { collector.tickDuration.recordNanoseconds(Int64(100_000 + i * 100)) }
        let factory = health.metricsFactory
        for route in 0..<12 {
            for status in ["200", "404"] {
                let dimensions = [("http.route", "/api/v1/monitoring/route\(route)"), ("http.request.method", "GET"),
                                  ("http.response.status_code", status)]
                Counter(label: "hb.requests", dimensions: dimensions, factory: factory).increment()
                Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions, factory: factory).recordNanoseconds(1_000_000)
            }
        }
        var buffer: [UInt8] = []
        health.emit(into: &buffer)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            health.emit(into: &buffer)
            blackHole(buffer.count)
        }
    }

    Benchmark(
        "broadcast/one tick of 50 containers to 100 clients",
        configuration: .init(maxIterations: 300)
    ) { benchmark in
        let samples = (0..<50).map { i -> Sample in
            var s = oneSample
            s.container = ContainerIdentity(id: String(format: "%064x", i + 1), name: "c\(i)", serviceName: i % 2 == 0 ? "web" : "db")
            return s
        }
        let hub = BroadcastFixture.makeHub()
        var clients: [WebSocketClient] = []
        for _ in 0..<100 {
            let client = hub.admit()!
            client.subscribeToMetrics(hub: hub)
            clients.append(client)
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            hub.publish(samples: samples)
        }
        benchmark.stopMeasurement()
        for client in clients { hub.remove(client) }
    }
}

enum BroadcastFixture {
    /// A hub over a collector with no containers; clients' queues hold every message of the run.
    static func makeHub() -> WebSocketHub {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let layout = CgroupLayout(mode: .v2, root: "/nonexistent", controllers: [:], unified: "/nonexistent")
        let collector = Collector(options: .init(layout: layout), logger: logger)
        let service = CollectorService(collector: collector, interval: .seconds(1), logger: logger)
        let runtime = MonitoringRuntime(
            collection: service, thresholds: ThresholdTable(), alerts: AlertLog(), storagePath: "/tmp", retentionDays: 7,
            logger: logger)
        let options = ServerOptions(
            host: "127.0.0.1", port: 0, wsMaxClients: 1000, wsPingInterval: .seconds(30), wsClientTimeout: .seconds(60),
            wsQueueSize: 1_000_000)
        return MonitorServer.makeHub(runtime: runtime, statistics: ServerStatistics(health: runtime.health), options: options)
    }
}
