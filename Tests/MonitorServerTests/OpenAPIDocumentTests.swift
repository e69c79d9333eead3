import Foundation
import Hummingbird
import Logging
import MonitorCore
import MonitorEncoding
import MonitorRuntime
import MonitorStore
import NIOCore
import Testing

@testable import MonitorServer

/// The OpenAPI document (`Sources/MonitorServer/openapi.json`, embedded in the binary) against the code, in
/// process: every route the router has is documented and every documented operation is routed; the schemas
/// of a sample and an alert name exactly the fields their encoders write. (`Tests/e2e/test_openapi.py` calls
/// each operation on the real daemon and checks the answers against the schemas.)
@Suite struct OpenAPIDocumentTests {
    /// Parsed anew by each test (JSON objects are not Sendable).
    static var document: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any]) ?? [:]
    }

    static func schemaProperties(_ name: String) -> Set<String> {
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let properties = (schemas?[name] as? [String: Any])?["properties"] as? [String: Any]
        return Set(properties?.keys ?? [String: Any]().keys)
    }

    /// The keys of the JSON object `write` puts in a buffer.
    static func keys(_ write: (inout ByteBuffer) -> Void) throws -> Set<String> {
        var buffer = ByteBuffer()
        write(&buffer)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        return Set(object.keys)
    }

    @Test func theDocumentIsOpenAPI31() {
        #expect(Self.document["openapi"] as? String == "3.1.0")
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() throws {
        let router = Router(context: MonitorRequestContext.self)
        let runtime = TestRuntime.make()
        MonitoringRoutes(runtime: runtime, statistics: ServerStatistics(health: runtime.health), options: TestRuntime.options).register(on: router)
        // Hummingbird writes a parameter as `:name`, OpenAPI as `{name}`.
        let routed = Set(router.routes.map { route -> String in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return "\(route.method.rawValue.lowercased()) /" + path.joined(separator: "/")
        })
        let paths = try #require(Self.document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(routed.count >= 16)
    }

    @Test func theSampleSchemaNamesExactlyWhatTheEncoderWrites() throws {
        var sample = Sample(
            container: ContainerIdentity(id: String(repeating: "a", count: 64), name: "web", serviceName: "svc", projectName: "proj"),
            timestampNanos: 1_737_023_400_000_000_000)
        sample.psiCPU = 1
        sample.psiMemory = 2
        sample.psiIO = 3
        let written = try Self.keys { $0.writeSampleJSON(sample, precision: .milliseconds) }
        #expect(written == Self.schemaProperties("Sample"))
    }

    @Test func theAlertSchemaNamesExactlyWhatTheEncoderWrites() throws {
        let alert = AlertRecord(
            containerID: String(repeating: "b", count: 64), containerName: "db", serviceName: "svc",
            timestampNanos: 1_737_023_400_000_000_000, level: .critical, metricType: .cpuPercent, value: 95,
            threshold: 90, message: "CPU élevé", resolved: true, resolvedLevel: .critical)
        let written = try Self.keys { $0.writeAlertJSON(alert, precision: .milliseconds) }
        #expect(written == Self.schemaProperties("Alert"))
    }
}

/// A runtime over a collector with no containers (nothing is read: the routes only need to exist), its history
/// in memory.
enum TestRuntime {
    static let options = ServerOptions(host: "127.0.0.1", port: 0, wsMaxClients: 4, wsPingInterval: .seconds(30), wsClientTimeout: .seconds(60))

    static func make() -> MonitoringRuntime {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let layout = CgroupLayout(mode: .v2, root: "/nonexistent", controllers: [:], unified: "/nonexistent")
        let collector = Collector(options: .init(layout: layout), logger: logger)
        let service = CollectorService(collector: collector, interval: .seconds(1), logger: logger)
        return MonitoringRuntime(
            collection: service, thresholds: ThresholdTable(), alerts: AlertLog(), history: MemoryHistoryStore(health: collector.health),
            storagePath: "/nonexistent", retentionDays: 7, logger: logger)
    }
}
