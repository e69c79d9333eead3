import Hummingbird
import NIOCore

/// The dashboard (SPEC §8): its page, style sheet and script, compiled into the binary (`Dashboard/`, SwiftPM's
/// `embedInCode`) so that an installed daemon serves them from anywhere. Each answer carries its type, an `ETag`
/// (a hash of the file, computed once; a matching `If-None-Match` is a 304), `Cache-Control: no-cache` (the
/// browser revalidates, so a new binary's page is seen at once) and a strict Content-Security-Policy: the page
/// loads nothing but itself and talks to nothing but its own daemon.
struct DashboardController: Sendable {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
        let etag: String

        init(_ bytes: [UInt8], _ contentType: String) {
            self.bytes = bytes
            self.contentType = contentType
            // FNV-1a over the file: a strong validator for content that only changes with the binary.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01b3 }
            etag = "\"\(String(hash, radix: 16))\""
        }
    }

    static let page = Asset(PackageResources.index_html, "text/html; charset=utf-8")
    static let style = Asset(PackageResources.dashboard_css, "text/css; charset=utf-8")
    static let script = Asset(PackageResources.dashboard_js, "text/javascript; charset=utf-8")

    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("/", use: { request, _ in Self.serve(Self.page, request) })
        routes.get("dashboard.css", use: { request, _ in Self.serve(Self.style, request) })
        routes.get("dashboard.js", use: { request, _ in Self.serve(Self.script, request) })
        return routes
    }

    static func serve(_ asset: Asset, _ request: Request) -> Response {
        var headers: HTTPFields = [
            .contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache",
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            .init("Referrer-Policy")!: "no-referrer",
        ]
        if let asked = request.headers[.ifNoneMatch], asked.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag }) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
