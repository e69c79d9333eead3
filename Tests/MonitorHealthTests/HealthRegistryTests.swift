import CoreMetrics
import Testing

@testable import MonitorHealth

/// The registry's figures as `/statistics` reads them back: the same numbers the exposition shows.
@Suite struct HealthRegistryTests {
    @Test func countersAndGaugesReadBackWhatWasCounted() {
        let health = HealthRegistry()
        let samples = health.counter("wakedock_samples_total", help: "Samples")
        let alerts = health.counter("wakedock_store_lines_total", help: "Lines", labels: [("kind", "alerts")])
        let lines = health.counter("wakedock_store_lines_total", help: "Lines", labels: [("kind", "samples")])
        let clients = health.gauge("wakedock_websocket_clients", help: "Clients")
        samples.add(UInt64(41))
        samples.increment()
        lines.add(7)
        alerts.add(2)
        clients.increment()
        clients.increment()
        clients.decrement()
        let readings = health.readings()
        #expect(readings.count("wakedock_samples_total") == 42)
        #expect(readings.count("wakedock_store_lines_total", labels: ["kind": "samples"]) == 7)
        #expect(readings.sum("wakedock_store_lines_total") == 9)
        #expect(readings.value("wakedock_websocket_clients") == 1)
        #expect(readings.value("never_counted") == 0)
        // The same registry hands back the same counter: components sharing it share the figure.
        health.counter("wakedock_samples_total", help: "Samples").increment()
        #expect(health.readings().count("wakedock_samples_total") == 43)
    }

    @Test func aCountNeverTraps() {
        let health = HealthRegistry()
        health.counter("wakedock_big_total", help: "Big").add(UInt64.max)  // clamped to Int64.max
        #expect(health.readings().count("wakedock_big_total") > 0)
    }

    /// p99 as Prometheus's `histogram_quantile` estimates it: within the bucket holding the rank.
    @Test func quantilesComeFromTheBucketsLikeHistogramQuantile() {
        let health = HealthRegistry()
        let ticks = health.durationHistogram("wakedock_tick_duration_seconds", help: "Ticks")
        #expect(health.readings().quantile(0.99, histogram: "wakedock_tick_duration_seconds") == nil)
        for _ in 0..<990 { ticks.recordNanoseconds(120_000) }  // 120 µs: the (100, 150] µs bucket
        for _ in 0..<10 { ticks.recordNanoseconds(40_000_000) }  // 40 ms: the (30, 50] ms bucket
        let readings = health.readings()
        let p50 = readings.quantile(0.5, histogram: "wakedock_tick_duration_seconds")!
        #expect(p50 > 100e-6 && p50 <= 150e-6)
        let p99 = readings.quantile(0.99, histogram: "wakedock_tick_duration_seconds")!
        #expect(p99 > 100e-6 && p99 <= 150e-6, "990 of 1000 ticks were fast")
        let p999 = readings.quantile(0.999, histogram: "wakedock_tick_duration_seconds")!
        #expect(p999 > 30e-3 && p999 <= 50e-3)
        #expect(readings.count("wakedock_tick_duration_seconds_count") == 1000)
        #expect(abs(readings.value("wakedock_tick_duration_seconds_sum") - (990 * 120e-6 + 10 * 40e-3)) < 1e-6)
    }

    @Test func bucketsStepByAtMostFiveThirds() {
        let seconds = HealthBuckets.durations.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        #expect(seconds.first == 10e-6 && seconds.last == 10)
        for (low, high) in zip(seconds, seconds.dropFirst()) {
            #expect(high > low && high <= low * 5 / 3 * (1 + 1e-9), "\(low) → \(high)")
        }
    }

    /// What Hummingbird's MetricsMiddleware counts through swift-metrics lands under our names.
    @Test func swiftMetricsNamesMapIntoOurs() {
        let health = HealthRegistry()
        let factory = health.metricsFactory
        let requests = Counter(
            label: "hb.requests",
            dimensions: [("http.route", "/api/v1/monitoring/metrics/{container_id}/latest"), ("http.request.method", "GET"),
                         ("http.response.status_code", "200")], factory: factory)
        requests.increment()
        let timer = Timer(label: "http.server.request.duration", dimensions: [("http.route", "/x")], factory: factory)
        timer.recordNanoseconds(2_000_000)
        let readings = health.readings()
        #expect(readings.value("wakedock_http_requests_total",
            labels: ["route": "/api/v1/monitoring/metrics/{container_id}/latest", "method": "GET", "status": "200"]) == 1)
        #expect(readings.count("wakedock_http_request_duration_seconds_count", labels: ["route": "/x"]) == 1)
        // Each with a help line (promtool wants one).
        var text: [UInt8] = []
        health.emit(into: &text)
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n")
        #expect(lines.contains("# HELP wakedock_http_requests_total HTTP requests answered, by route pattern, method and status"))
        #expect(lines.contains { $0.hasPrefix("# HELP wakedock_http_request_duration_seconds ") })
    }

    /// swift-prometheus stops the process when a name comes back as another type, labelled where it was not,
    /// or with two labels of one name: a library counting through swift-metrics gets a no-op handler instead.
    @Test func aLibrarysClashingNamesAreIgnoredNotFatal() {
        let health = HealthRegistry()
        let factory = health.metricsFactory
        Counter(label: "cache.hits", factory: factory).increment()
        Gauge(label: "cache_hits", factory: factory).record(5)  // same name, as a gauge: ignored
        Counter(label: "cache.hits", dimensions: [("kind", "a")], factory: factory).increment()  // now labelled: ignored
        Counter(label: "wakedock.samples.total", factory: factory).increment()  // ours is unlabelled below
        _ = health.counter("wakedock_owned_total", help: "Ours")
        Counter(label: "wakedock.owned.total", factory: factory).increment()  // our name, another help: ignored
        Counter(label: "hb.request.errors", dimensions: [("http.response.status_code", "500"), ("error.type", "500")],
                factory: factory).increment()  // two dimensions mapped to `status`: the first kept
        let readings = health.readings()
        #expect(readings.count("wakedock_cache_hits") == 1)
        #expect(readings.series.filter { $0.name == "wakedock_cache_hits" }.count == 1)
        #expect(readings.count("wakedock_owned_total") == 0)
        #expect(readings.count("wakedock_http_request_errors_total", labels: ["status": "500"]) == 1)
    }

    @Test func labelValuesWithQuotesAndBackslashesParseBack() {
        let line = Array(#"m_total{a="x\"y",b="c\\d",c="e\nf"} 3"#.utf8)
        let s = HealthReadings.parse(line[...])
        #expect(s == .init(name: "m_total", labels: ["a": "x\"y", "b": "c\\d", "c": "e\nf"], value: 3))
        #expect(HealthReadings.parse(Array("garbage".utf8)[...]) == nil)
        #expect(HealthReadings.parse(Array(#"m{a="unterminated"#.utf8)[...]) == nil)
    }
}
