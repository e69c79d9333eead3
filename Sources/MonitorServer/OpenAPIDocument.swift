import NIOCore

/// The OpenAPI 3.1 description of the whole HTTP API, served at `/api/v1/openapi.json`: the file
/// `openapi.json` next to this one, compiled into the binary (SwiftPM's `embedInCode`) so that it is always
/// there and a static executable needs no resource bundle beside it. `MonitorServerTests` checks it against
/// the router's routes and the encoders' fields; `Tests/e2e/test_openapi.py` calls every operation it
/// describes and checks each answer against its schema.
enum OpenAPIDocument {
    static let bytes: [UInt8] = PackageResources.openapi_json
}
