// swift-tools-version: 6.1
// Benchmarks for WakeDock Monitor, a package of their own so that the main build and its tests do not
// compile the benchmark harness. Run: `swift package benchmark` (in this folder, as root).
import PackageDescription

let package = Package(
    name: "wakedock-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(name: "wakedock-monitor", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // The yardstick: the same preads on the same kept descriptors, in a minimal C loop, nothing parsed.
        .target(name: "RawReadFloor", path: "Sources/RawReadFloor"),
        // Hummingbird's hello-world, measured by wrk next to our `GET /containers` in the same run.
        .executableTarget(
            name: "HelloServer", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Sources/HelloServer"),
        .executableTarget(
            name: "CollectorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MonitorCore", package: "wakedock-monitor"),
                .product(name: "MonitorStore", package: "wakedock-monitor"),
                .product(name: "MonitorRuntime", package: "wakedock-monitor"),
                .product(name: "MonitorServer", package: "wakedock-monitor"),
                "RawReadFloor",
            ],
            path: "Benchmarks/CollectorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ServerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MonitorCore", package: "wakedock-monitor"),
                .product(name: "MonitorEncoding", package: "wakedock-monitor"),
                .product(name: "MonitorHealth", package: "wakedock-monitor"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MonitorRuntime", package: "wakedock-monitor"),
                .product(name: "MonitorServer", package: "wakedock-monitor"),
                .product(name: "MonitorStore", package: "wakedock-monitor"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/ServerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The history store: lines written per second, and queries over a generated day of files.
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MonitorCore", package: "wakedock-monitor"),
                .product(name: "MonitorEncoding", package: "wakedock-monitor"),
                .product(name: "MonitorRuntime", package: "wakedock-monitor"),
                .product(name: "MonitorStore", package: "wakedock-monitor"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
