import Foundation
import Hummingbird
import HummingbirdTesting
import MonitorCore
import MonitorRuntime
import MonitorSecurity
import NIOCore
import Testing

@testable import MonitorServer

/// Who may call what (SPEC §10), in process: the scope each route needs, and `AccessMiddleware` in front of the
/// real routes with a real verifier (`Tests/e2e/test_security.py` does it against the binary).
@Suite struct AccessTests {
    static let secret = Array("an-in-process-secret-long-enough-for-hs256".utf8)

    @Test func deniedByDefaultOpenOnlyForThePageAndTheDocument() {
        func scope(_ method: HTTPRequest.Method, _ path: String) -> AccessScope? { RouteAccess.requiredScope(method: method, path: path) }
        for open in ["/", "/dashboard.css", "/dashboard.js", "/api/v1/openapi.json"] {
            #expect(scope(.get, open) == nil)
            #expect(scope(.post, open) == .admin)
        }
        #expect(scope(.get, "/metrics") == .scrape)
        #expect(scope(.get, "/api/v1/monitoring/status") == .read)
        #expect(scope(.head, "/api/v1/monitoring/containers") == .read)
        #expect(scope(.post, "/api/v1/monitoring/metrics/query") == .read)
        #expect(scope(.post, "/api/v1/monitoring/alerts/query") == .read)
        for (method, path) in [(HTTPRequest.Method.post, "/api/v1/monitoring/stop"), (.post, "/api/v1/monitoring/start"),
                               (.post, "/api/v1/monitoring/config"), (.put, "/api/v1/monitoring/thresholds/cpu"),
                               (.post, "/api/v1/monitoring/test/alert"), (.delete, "/api/v1/monitoring/metrics"),
                               (.post, "/anything")] {
            #expect(scope(method, path) == .admin, "\(method) \(path)")
        }
        #expect(scope(.get, "/index.html") == .read)  // not an open path: a token is needed
        // Spelled as the router also takes them: the same scope.
        for metrics in ["/metrics/", "//metrics", "/metrics//", "///metrics"] { #expect(scope(.get, metrics) == .scrape, "\(metrics)") }
        #expect(scope(.post, "//api/v1/monitoring/metrics/query/") == .read)
        #expect(scope(.get, "//") == nil)
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let runtime = TestRuntime.make()
        let verifier = try await TokenVerifier(configuration: TokenConfiguration(secret: Self.secret))
        let router = Router(context: MonitorRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AccessMiddleware(verifier: verifier))
        MonitoringRoutes(runtime: runtime, statistics: ServerStatistics(health: runtime.health), options: TestRuntime.options).register(on: router)
        try await Application(router: router).test(.router) { client in try await body(client) }
    }

    static func token(_ scopes: [AccessScope]) async throws -> HTTPFields {
        let token = try await TokenMinter.mint(.init(subject: "t", scopes: scopes, lifetime: .seconds(60)), secret: secret)
        return [.authorization: "Bearer \(token)"]
    }

    @Test func noTokenIs401ReadIsReadAdminIsAdmin() async throws {
        let read = try await Self.token([.read])
        let admin = try await Self.token([.admin])
        try await test { client in
            let bare = try await client.execute(uri: "/api/v1/monitoring/status", method: .get)
            try RoutesTests.expectError(bare, .unauthorized, code: "unauthorized")
            #expect(bare.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/monitoring/status", method: .get, headers: read).status == .ok)
            let refused = try await client.execute(uri: "/api/v1/monitoring/stop", method: .post, headers: read)
            try RoutesTests.expectError(refused, .forbidden, code: "forbidden")
            #expect(try await client.execute(uri: "/api/v1/monitoring/stop", method: .post, headers: admin).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: admin).status == .forbidden)
            for sneaky in ["/metrics/", "//metrics"] {
                #expect(try await client.execute(uri: sneaky, method: .get, headers: read).status == .forbidden, "\(sneaky)")
            }
            let wrong: HTTPFields = [.authorization: "Bearer \(String(repeating: "x", count: 40))"]
            try RoutesTests.expectError(try await client.execute(uri: "/api/v1/monitoring/status", method: .get, headers: wrong), .unauthorized)
            #expect(try await client.execute(uri: "/api/v1/monitoring/ws", method: .get, headers: read).status == .upgradeRequired)
        }
    }
}
