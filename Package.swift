// swift-tools-version: 6.1
// WakeDock Monitor: a container monitoring daemon that reads the kernel's own counters.
import PackageDescription

let package = Package(
    name: "wakedock-monitor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wakedock-monitor", targets: ["wakedock-monitor"]),
        .library(name: "MonitorCore", targets: ["MonitorCore"]),
        .library(name: "MonitorEncoding", targets: ["MonitorEncoding"]),
        .library(name: "MonitorHealth", targets: ["MonitorHealth"]),
        .library(name: "MonitorRuntime", targets: ["MonitorRuntime"]),
        .library(name: "MonitorServer", targets: ["MonitorServer"]),
        .library(name: "MonitorStore", targets: ["MonitorStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // The only code that opens cgroup and proc files: kept descriptors, pread into caller buffers,
        // allocation-free parsers.
        .target(name: "CSupport", path: "CSupport"),
        // glibc's memmem and memrchr, which Swift's Glibc module does not export: the history reader's byte search.
        .target(name: "CByteSearch", path: "CByteSearch"),
        // The daemon's calls into libsystemd (libsystemd-dev): native journal entries and sd_notify.
        .target(name: "CSystemd", path: "CSystemd", linkerSettings: [.linkedLibrary("systemd")]),
        // The daemon's own health figures (`wakedock_…`): one swift-prometheus registry every part counts into,
        // read back for `/statistics`, and the swift-metrics factory over it.
        .target(
            name: "MonitorHealth",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The engine: cgroup layout, probes, rings, the cgroup-scan discovery, the collection tick. No HTTP, no
        // JSON library.
        .target(
            name: "MonitorCore",
            dependencies: [
                "CSupport",
                "MonitorHealth",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Discovery from the Docker Engine (its API on the unix socket, /events): an adapter that posts the same
        // target changes as the cgroup scan, so that the engine depends on no HTTP client.
        .target(
            name: "MonitorDocker",
            dependencies: [
                "MonitorCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Hand-written JSON for the hot paths (samples in CLI output, files, frames), straight into ByteBuffer.
        .target(
            name: "MonitorEncoding",
            dependencies: ["MonitorCore", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // JSONL history: buffered writes off the tick, daily files rotated and gzipped, failures counted, and
        // the reader that queries them newest first.
        .target(
            name: "MonitorStore",
            dependencies: [
                "MonitorHealth",
                "CByteSearch",
                "MonitorCore",
                "MonitorEncoding",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // systemd operations: the journal log handler, the log target choice, sd_notify and the watchdog.
        .target(
            name: "MonitorSystemd",
            dependencies: [
                "CSystemd",
                "MonitorCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Outbound alert notifications: webhooks with bounded queues and retries.
        .target(
            name: "MonitorNotifications",
            dependencies: [
                "MonitorHealth",
                "MonitorCore",
                "MonitorEncoding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The monitoring as it runs, below any protocol: runtime configuration, thresholds and their file, alert
        // fan-out, statistics, history queries (memory and the store merged). No HTTP.
        .target(
            name: "MonitorRuntime",
            dependencies: [
                "MonitorCore",
                "MonitorHealth",
                "MonitorEncoding",
                "MonitorNotifications",
                "MonitorStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Who may do what (SPEC §10): bearer tokens checked with jwt-kit, their scopes and container claims, and
        // the tokens `wakedock-monitor token` mints. No HTTP.
        .target(
            name: "MonitorSecurity",
            dependencies: ["MonitorCore", .product(name: "JWTKit", package: "jwt-kit")]
        ),
        // The HTTP facade: REST API and WebSocket stream on Hummingbird, over the runtime. No cgroup file.
        .target(
            name: "MonitorServer",
            dependencies: [
                "MonitorHealth",
                "MonitorCore",
                "MonitorEncoding",
                "MonitorNotifications",
                "MonitorRuntime",
                "MonitorSecurity",
                "MonitorStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [
                .embedInCode("openapi.json"),
                .embedInCode("Dashboard/index.html"),
                .embedInCode("Dashboard/dashboard.css"),
                .embedInCode("Dashboard/dashboard.js"),
            ]
        ),
        // The application: settings (one table), the engine's start, logging, and `Daemon.build`, the one place
        // that wires every part into a ServiceGroup. No command-line parsing: commands and tests call it.
        .target(
            name: "MonitorApp",
            dependencies: [
                "MonitorHealth",
                "CSupport",
                "MonitorCore",
                "MonitorDocker",
                "MonitorEncoding",
                "MonitorNotifications",
                "MonitorRuntime",
                "MonitorSecurity",
                "MonitorServer",
                "MonitorStore",
                "MonitorSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "wakedock-monitor",
            dependencies: [
                "MonitorApp",
                "MonitorServer",
                "MonitorCore",
                "MonitorEncoding",
                "MonitorHealth",
                "MonitorSecurity",
                .product(name: "Metrics", package: "swift-metrics"),
                // `stats --from`: the serving daemon's rings over HTTP.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A test target per module. The engine: parsers, cgroup v1 (this kernel) and v2 (fixture trees), the tick,
        // rings, cadence, alerts.
        .testTarget(
            name: "MonitorCoreTests",
            dependencies: ["MonitorCore", "CSupport", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"]
        ),
        // The health registry: its figures read back, quantiles as Prometheus estimates them, names mapped.
        .testTarget(name: "MonitorHealthTests", dependencies: ["MonitorHealth", .product(name: "CoreMetrics", package: "swift-metrics")]),
        // The hand-written JSON against Foundation's reading of it.
        .testTarget(
            name: "MonitorEncodingTests",
            dependencies: ["MonitorCore", "MonitorEncoding", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // History files: lines, rotation, gzip members, the newest-first reader, period rates.
        .testTarget(
            name: "MonitorStoreTests",
            dependencies: [
                "MonitorCore", "MonitorEncoding", "MonitorStore", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The runtime without HTTP: configuration changes, thresholds and their file, history merged from memory
        // and a store (in memory), statistics.
        .testTarget(
            name: "MonitorRuntimeTests",
            dependencies: [
                "MonitorCore", "MonitorEncoding", "MonitorRuntime", "MonitorStore", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The application in process: the settings table, and the whole daemon built, run and stopped.
        .testTarget(
            name: "MonitorAppTests",
            dependencies: [
                "MonitorApp",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Tokens: signatures, algorithms, time claims, audience and issuer, scopes and container claims.
        .testTarget(
            name: "MonitorSecurityTests", dependencies: ["MonitorCore", "MonitorSecurity", .product(name: "JWTKit", package: "jwt-kit")]),
        // The HTTP layer in process (no root, no dockerd, no binary): the controllers' answers, validation and error
        // shapes through Hummingbird's router test client; the OpenAPI document against the routes and encoders.
        .testTarget(
            name: "MonitorServerTests",
            dependencies: [
                "MonitorCore", "MonitorEncoding", "MonitorRuntime", "MonitorSecurity", "MonitorServer", "MonitorStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
