import CoreMetrics
import Prometheus
import Synchronization

public typealias HealthCounter = Prometheus.Counter
public typealias HealthGauge = Prometheus.Gauge
public typealias HealthHistogram = Prometheus.DurationHistogram

/// The daemon's own health figures (`wakedock_…`): the one place they are counted. Components make their
/// counters here (swift-prometheus's atomics: an increment is one relaxed add, nothing allocated, so the tick
/// may count freely); `GET /metrics` emits the registry, and `/statistics` and the WebSocket's `status_update`
/// read the same values back through `readings()` — there is no second copy of any figure.
///
/// Code that speaks swift-metrics (Hummingbird's `MetricsMiddleware`) reaches the same registry through
/// `metricsFactory`, whose names are mapped into ours (`hb.requests` → `wakedock_http_requests_total`).
public final class HealthRegistry: Sendable {
    public let prometheus: PrometheusCollectorRegistry

    /// What each name was made as. swift-prometheus stops the process when one name comes back as another type,
    /// with another help text, or labelled where it was not (or the reverse): names made here are checked
    /// first, so that a library counting through swift-metrics gets a no-op handler instead.
    struct Family: Equatable {
        enum Kind { case counter, gauge, histogram }
        var kind: Kind
        var help: String
        var labelled: Bool
    }
    private let families = Mutex<[String: Family]>([:])

    public init() {
        prometheus = PrometheusCollectorRegistry()
    }

    /// True when `name` may be made as `family` (new, or made alike before).
    func admits(_ name: String, as family: Family) -> Bool {
        families.withLock { known in
            if let existing = known[name] { return existing == family }
            known[name] = family
            return true
        }
    }

    /// A counter (monotonic; its name ends in `_total`). Asking twice for one name and label set returns the same
    /// counter, so components sharing a registry share the figure.
    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> HealthCounter {
        precondition(admits(name, as: Family(kind: .counter, help: help, labelled: !labels.isEmpty)), "\(name) made twice, differently")
        let descriptor = Self.descriptor(name, help)
        return labels.isEmpty ? prometheus.makeCounter(descriptor: descriptor) : prometheus.makeCounter(descriptor: descriptor, labels: labels)
    }

    public func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> HealthGauge {
        precondition(admits(name, as: Family(kind: .gauge, help: help, labelled: !labels.isEmpty)), "\(name) made twice, differently")
        let descriptor = Self.descriptor(name, help)
        return labels.isEmpty ? prometheus.makeGauge(descriptor: descriptor) : prometheus.makeGauge(descriptor: descriptor, labels: labels)
    }

    public func durationHistogram(
        _ name: String, help: String, labels: [(String, String)] = [], buckets: [Duration] = HealthBuckets.durations
    ) -> HealthHistogram {
        precondition(admits(name, as: Family(kind: .histogram, help: help, labelled: !labels.isEmpty)), "\(name) made twice, differently")
        let descriptor = Self.descriptor(name, help)
        return labels.isEmpty ? prometheus.makeDurationHistogram(descriptor: descriptor, buckets: buckets)
            : prometheus.makeDurationHistogram(descriptor: descriptor, labels: labels, buckets: buckets)
    }

    /// The whole name as written (its unit and `_total` included) and its help line. One name has one help
    /// text for good: the registry stops the process on a second, different one, so each name is made in one
    /// place.
    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The registry in Prometheus's text format 0.0.4.
    public func emit(into buffer: inout [UInt8]) {
        prometheus.emit(into: &buffer)
    }

    /// Every figure as it is now, parsed back from the registry's own output.
    public func readings() -> HealthReadings {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        prometheus.emit(into: &buffer)
        return HealthReadings(exposition: buffer)
    }

    /// A swift-metrics factory over this registry, for libraries that count through swift-metrics.
    public var metricsFactory: HealthMetricsFactory { HealthMetricsFactory(health: self) }
}

/// swift-metrics over the health registry: what a library counts lands under our `wakedock_` names with a help
/// line (swift-prometheus's own factory writes none, and `promtool check metrics` wants one).
public struct HealthMetricsFactory: MetricsFactory {
    let health: HealthRegistry

    /// Our name, help and labels for a swift-metrics label and dimensions (a repeated label name keeps its first
    /// value: the registry stops the process on a repeat), and whether the registry admits them as `kind`.
    private func named(
        _ label: String, _ dimensions: [(String, String)], as kind: HealthRegistry.Family.Kind
    ) -> (name: String, help: String, labels: [(String, String)])? {
        let (name, help) = SwiftMetricsNames.metric(label)
        var labels: [(String, String)] = []
        for (key, value) in dimensions {
            let mapped = SwiftMetricsNames.labelName(key)
            if !labels.contains(where: { $0.0 == mapped }) { labels.append((mapped, value)) }
        }
        guard health.admits(name, as: .init(kind: kind, help: help, labelled: !labels.isEmpty)) else { return nil }
        return (name, help, labels)
    }

    // Each maker hands out a no-op handler for a name the registry would refuse (see `HealthRegistry.Family`).

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let m = named(label, dimensions, as: .counter) else { return NOOPMetricsHandler.instance }
        return health.counter(m.name, help: m.help, labels: m.labels)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let m = named(label, dimensions, as: .counter) else { return NOOPMetricsHandler.instance }
        return health.counter(m.name, help: m.help, labels: m.labels)
    }

    /// Recorders are gauges (the last value): nothing here records distributions but timers.
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let m = named(label, dimensions, as: .gauge) else { return NOOPMetricsHandler.instance }
        return health.gauge(m.name, help: m.help, labels: m.labels)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let m = named(label, dimensions, as: .gauge) else { return NOOPMetricsHandler.instance }
        return health.gauge(m.name, help: m.help, labels: m.labels)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let m = named(label, dimensions, as: .histogram) else { return NOOPMetricsHandler.instance }
        return health.durationHistogram(m.name, help: m.help, labels: m.labels, buckets: HealthBuckets.requests)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? HealthCounter { health.prometheus.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? HealthCounter { health.prometheus.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? HealthGauge { health.prometheus.unregisterGauge(gauge) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? HealthGauge { health.prometheus.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? HealthHistogram { health.prometheus.unregisterDurationHistogram(histogram) }
    }
}

extension HealthCounter {
    /// Counts `amount` of a UInt64 or Int figure, clamped into the counter's Int64 (a count never traps).
    @inline(__always) public func add<T: BinaryInteger>(_ amount: T) {
        increment(by: Int64(clamping: amount))
    }
}

/// Histogram buckets for durations: 1, 1.5, 2, 3, 5, 7 per decade from 10 µs to 10 s, so that a quantile read
/// from them (linear within a bucket, as Prometheus's `histogram_quantile`) is never off by more than a bucket's
/// width (at most ×1.67), at 37 series per histogram.
public enum HealthBuckets {
    public static let durations: [Duration] = {
        var buckets: [Duration] = []
        var decade: Int64 = 10_000  // 10 µs, in nanoseconds
        while decade <= 1_000_000_000 {
            for tenths: Int64 in [10, 15, 20, 30, 50, 70] { buckets.append(.nanoseconds(decade * tenths / 10)) }
            decade *= 10
        }
        buckets.append(.seconds(10))
        return buckets
    }()

    /// Request durations, one histogram per route and status: 1, 2.5, 5 per decade from 100 µs to 10 s (16
    /// buckets), enough to tell a fast answer from a slow one without a scrape of a thousand lines.
    public static let requests: [Duration] = {
        var buckets: [Duration] = []
        var decade: Int64 = 100_000  // 100 µs
        while decade < 10_000_000_000 {
            for tenths: Int64 in [10, 25, 50] { buckets.append(.nanoseconds(decade * tenths / 10)) }
            decade *= 10
        }
        buckets.append(.seconds(10))
        return buckets
    }()
}

/// Names for what libraries count through swift-metrics, in our `wakedock_` namespace and Prometheus's
/// conventions (a unit suffix, `_total` on counters).
public enum SwiftMetricsNames {
    /// Hummingbird's request counter and timer, under our names (what `/statistics` reads back).
    public static let httpRequests = "wakedock_http_requests_total"
    public static let httpRequestDuration = "wakedock_http_request_duration_seconds"

    static func metric(_ label: String) -> (name: String, help: String) {
        switch label {
        case "hb.requests": (httpRequests, "HTTP requests answered, by route pattern, method and status")
        case "hb.request.errors": ("wakedock_http_request_errors_total", "HTTP requests that ended in an error, by route pattern, method and status")
        case "http.server.request.duration": (httpRequestDuration, "Duration of HTTP requests, by route pattern, method and status")
        case "http.server.active_requests": ("wakedock_http_active_requests", "HTTP requests being answered, by method")
        default: ("wakedock_" + sanitized(label), "Counted through swift-metrics")
        }
    }

    static func labelName(_ dimension: String) -> String {
        switch dimension {
        case "http.route": return "route"
        case "http.request.method": return "method"
        case "http.response.status_code", "error.type": return "status"
        default: return sanitized(dimension)
        }
    }

    private static func sanitized(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }
}
