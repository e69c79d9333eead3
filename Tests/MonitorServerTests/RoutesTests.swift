import Foundation
import Hummingbird
import HummingbirdTesting
import MonitorCore
import MonitorRuntime
import NIOCore
import Testing

@testable import MonitorServer

/// The controllers in process, through Hummingbird's router test client: answers, validation and SPEC §4's
/// error shape (`{"error", "detail"}`), with no root, no dockerd and no binary. (`Tests/e2e/test_rest_api.py`
/// does the same against the real daemon with real containers, where the answers carry samples.)
@Suite struct RoutesTests {
    /// A fresh runtime and the API's router over it, for one test.
    struct API {
        let runtime = TestRuntime.make()

        func test(_ body: @escaping @Sendable (any TestClientProtocol, MonitoringRuntime) async throws -> Void) async throws {
            let router = Router(context: MonitorRequestContext.self)
            router.add(middleware: ErrorMiddleware())
            MonitoringRoutes(runtime: runtime, statistics: ServerStatistics(health: runtime.health), options: TestRuntime.options).register(on: router)
            let runtime = self.runtime
            try await Application(router: router).test(.router) { client in try await body(client, runtime) }
        }
    }

    static let base = "/api/v1/monitoring"

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    /// SPEC §4's error: the status, a JSON object with exactly `error` and `detail`.
    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: String? = nil) throws {
        #expect(response.status == status)
        let body = try json(response)
        #expect(Set(body.keys) == ["error", "detail"], "\(body)")
        if let code { #expect(body["error"] as? String == code) }
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    @Test func statusNamesTheMonitoringAndItsSettings() async throws {
        try await API().test { client, _ in
            let response = try await client.execute(uri: Self.base + "/status", method: .get)
            #expect(response.status == .ok)
            let monitoring = try #require(try Self.json(response)["monitoring"] as? [String: Any])
            #expect(Set(monitoring.keys).isSuperset(of: ["is_running", "monitored_containers", "collection_interval", "retention_days", "storage_path"]))
            #expect(monitoring["collection_interval"] as? Double == 1)
        }
    }

    @Test func aConfigIsValidatedAsAWholeBeforeAnythingIsApplied() async throws {
        try await API().test { client, runtime in
            let bad = try await client.execute(
                uri: Self.base + "/config", method: .post, headers: Self.jsonHeaders,
                body: Self.body(#"{"collection_interval": 0.5, "retention_days": 99}"#))
            try Self.expectError(bad, .unprocessableContent, code: "validation_error")
            #expect(runtime.interval == .seconds(1), "nothing applied")

            let good = try await client.execute(
                uri: Self.base + "/config", method: .post, headers: Self.jsonHeaders,
                body: Self.body(#"{"collection_interval": 0.5, "retention_days": 10}"#))
            #expect(good.status == .ok)
            #expect(try Self.json(good)["message"] as? String == "Configuration mise à jour avec succès")
            #expect(runtime.interval == .milliseconds(500))
            let retention = runtime.retentionDays
            #expect(retention == 10)
        }
    }

    /// The first fault in the body's order is the one answered: the interval, then each threshold in turn (its
    /// name, its scope, its values) — as before the runtime took the change over.
    @Test func aConfigsFirstFaultInBodyOrderIsTheOneAnswered() async throws {
        try await API().test { client, runtime in
            func post(_ body: String) async throws -> TestResponse {
                try await client.execute(uri: Self.base + "/config", method: .post, headers: Self.jsonHeaders, body: Self.body(body))
            }
            let intervalFirst = try await post(
                #"{"collection_interval": 0.05, "thresholds": [{"metric_type": "cpu_percent", "warning_threshold": 1, "critical_threshold": 2, "container_id": "nope"}]}"#)
            try Self.expectError(intervalFirst, .unprocessableContent, code: "validation_error")
            #expect(try Self.json(intervalFirst)["detail"] as? String == "collection_interval doit être entre 0.1 et 60 secondes (reçu: 0.05)")
            let firstItemFirst = try await post(
                #"{"thresholds": [{"metric_type": "cpu_percent", "warning_threshold": 90, "critical_threshold": 80}, {"metric_type": "bogus", "warning_threshold": 1, "critical_threshold": 2}]}"#)
            try Self.expectError(firstItemFirst, .badRequest, code: "invalid_threshold")
            let unknownContainer = try await post(
                #"{"thresholds": [{"metric_type": "cpu_percent", "warning_threshold": 1, "critical_threshold": 2, "container_id": "nope"}]}"#)
            try Self.expectError(unknownContainer, .notFound, code: "not_found")
            // A hair outside the range is outside: not rounded into it.
            try Self.expectError(try await post(#"{"collection_interval": 0.09999999999}"#), .unprocessableContent)
            #expect(runtime.interval == .seconds(1), "nothing applied")
            #expect(runtime.thresholds.threshold(for: .cpuPercent)?.warning != 90)
        }
    }

    /// The dashboard's files: their types, a strict Content-Security-Policy, and an ETag that a revalidation
    /// answers with 304 and no body.
    @Test func theDashboardIsServedWithItsTypesAPolicyAndAValidator() async throws {
        try await API().test { client, _ in
            for (path, type) in [("/", "text/html"), ("/dashboard.css", "text/css"), ("/dashboard.js", "text/javascript")] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                let etag = try #require(response.headers[.eTag])
                #expect(response.body.readableBytes > 500)
                let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"other\", \(etag)"])
                #expect(again.status == .notModified)
                #expect(again.body.readableBytes == 0)
                #expect(again.headers[.eTag] == etag)
            }
            let page = try await client.execute(uri: "/", method: .get)
            let html = String(buffer: page.body)
            #expect(html.contains("<script src=\"/dashboard.js\" defer></script>"))
            #expect(!html.contains("http://") && !html.contains("https://"), "the page names no other origin")
        }
    }

    @Test func thresholdsAreCheckedAndErrorsKeepTheirShape() async throws {
        try await API().test { client, runtime in
            let put = try await client.execute(
                uri: Self.base + "/thresholds/pids", method: .put, headers: Self.jsonHeaders,
                body: Self.body(#"{"metric_type": "pids", "warning_threshold": 100, "critical_threshold": 200, "enabled": true}"#))
            #expect(put.status == .ok)
            #expect(try Self.json(put)["message"] as? String == "Seuil pids mis à jour avec succès")

            let inverted = try await client.execute(
                uri: Self.base + "/thresholds/cpu_percent", method: .put, headers: Self.jsonHeaders,
                body: Self.body(#"{"warning_threshold": 95, "critical_threshold": 90}"#))
            try Self.expectError(inverted, .badRequest)
            #expect(try Self.json(inverted)["detail"] as? String == "Le seuil d'avertissement doit être inférieur au seuil critique")
            try Self.expectError(
                try await client.execute(
                    uri: Self.base + "/thresholds/not_a_metric", method: .put, headers: Self.jsonHeaders,
                    body: Self.body(#"{"warning_threshold": 1, "critical_threshold": 2}"#)),
                .notFound)
            try Self.expectError(
                try await client.execute(
                    uri: Self.base + "/thresholds/cpu_percent", method: .put, headers: Self.jsonHeaders,
                    body: Self.body(#"{"warning_threshold": "high", "critical_threshold": 2}"#)),
                .unprocessableContent)
            try Self.expectError(
                try await client.execute(
                    uri: Self.base + "/thresholds/cpu_percent", method: .put, headers: Self.jsonHeaders, body: Self.body("{not json")),
                .badRequest, code: "invalid_json")
            let cpu = try #require(runtime.thresholds.threshold(for: .cpuPercent))
            #expect(cpu.warning == 70, "a refused change changes nothing")
        }
    }

    /// A valid body with a wrong value is a 422, whatever the decoder calls it; malformed JSON anywhere, even
    /// under a key no body declares, is a 400 and changes nothing.
    @Test func wrongValuesAre422AndMalformedJSONAnywhereIs400() async throws {
        try await API().test { client, runtime in
            for body in [#"{"retention_days": 1.5}"#, #"{"retention_days": 1e20}"#, #"{"retention_days": 9223372036854775808}"#] {
                try Self.expectError(
                    try await client.execute(uri: Self.base + "/config", method: .post, headers: Self.jsonHeaders, body: Self.body(body)),
                    .unprocessableContent, code: "validation_error")
            }
            try Self.expectError(
                try await client.execute(
                    uri: Self.base + "/metrics/query", method: .post, headers: Self.jsonHeaders, body: Self.body(#"{"limit": 1.5}"#)),
                .unprocessableContent)
            for body in [#"{"retention_days": 3, "zz": "\q"}"#, #"{"retention_days": 3, "zz": -}"#, #"{"retention_days": 3, "zz": 01}"#, ""] {
                try Self.expectError(
                    try await client.execute(uri: Self.base + "/config", method: .post, headers: Self.jsonHeaders, body: Self.body(body)),
                    .badRequest, code: "invalid_json")
            }
            let retention = runtime.retentionDays
            #expect(retention == 7, "nothing applied")
        }
    }

    @Test(arguments: ["hours=-1", "hours=0", "hours=169", "hours=abc", "limit=0", "limit=abc", "limit=10001", "limit=1.5"])
    func badQueryParametersAre422(query: String) async throws {
        try await API().test { client, _ in
            try Self.expectError(
                try await client.execute(uri: Self.base + "/metrics?" + query, method: .get), .unprocessableContent,
                code: "validation_error")
        }
    }

    @Test func badBodiesAndUnknownRoutes() async throws {
        try await API().test { client, _ in
            try Self.expectError(
                try await client.execute(uri: Self.base + "/metrics/query", method: .post, headers: Self.jsonHeaders, body: Self.body("{oops")),
                .badRequest, code: "invalid_json")
            for body in [#"{"hours": "one"}"#, #"{"limit": -5}"#, "[1, 2]"] {
                try Self.expectError(
                    try await client.execute(uri: Self.base + "/metrics/query", method: .post, headers: Self.jsonHeaders, body: Self.body(body)),
                    .unprocessableContent)
            }
            try Self.expectError(try await client.execute(uri: "/nope", method: .get), .notFound, code: "not_found")
            try Self.expectError(
                try await client.execute(uri: Self.base + "/metrics/ghost/latest", method: .get), .notFound, code: "not_found")
        }
    }

    @Test func stopAndStartAreIdempotent() async throws {
        try await API().test { client, runtime in
            for _ in 0..<2 {
                let stop = try await client.execute(uri: Self.base + "/stop", method: .post)
                #expect(try Self.json(stop)["message"] as? String == "Monitoring arrêté avec succès")
            }
            let stopped = !runtime.isCollecting
            #expect(stopped)
            for _ in 0..<2 {
                let start = try await client.execute(uri: Self.base + "/start", method: .post)
                #expect(try Self.json(start)["message"] as? String == "Monitoring démarré avec succès")
            }
            let running = runtime.isCollecting
            #expect(running)
        }
    }
}
