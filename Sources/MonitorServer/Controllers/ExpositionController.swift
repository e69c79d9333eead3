import Hummingbird
import MonitorEncoding
import MonitorRuntime
import NIOCore

/// `GET /metrics` (at the root, where Prometheus looks): every container's newest sample as cAdvisor-named
/// series, in the text format or, when the scraper's `Accept` asks for it, OpenMetrics. Read from the rings
/// (never the kernel) and written into one buffer, followed by the daemon's own health (`wakedock_…`).
struct ExpositionController: Sendable {
    let runtime: MonitoringRuntime

    var routes: RouteCollection<MonitorRequestContext> {
        let routes = RouteCollection(context: MonitorRequestContext.self)
        routes.get("metrics", use: scrape)
        return routes
    }

    @Sendable func scrape(_ request: Request, context: MonitorRequestContext) async throws -> Response {
        let format = ExpositionFormat(accept: request.headers[.accept])
        let visibility = context.access.visibility
        let containers = runtime.registry.all.compactMap { series in
            visibility.sees(series.identity) ? series.latest.map { ExposedContainer(series: series, sample: $0) } : nil
        }
        // The daemon's own health is the host's (how many containers, how busy): not for a token limited to some.
        var health: [UInt8] = []
        if visibility.isAll { runtime.health.emit(into: &health) }
        var buffer = ByteBuffer()
        buffer.writeExposition(of: containers, format: format, health: health)
        return Response(status: .ok, headers: [.contentType: format.contentType], body: ResponseBody(byteBuffer: buffer))
    }
}
