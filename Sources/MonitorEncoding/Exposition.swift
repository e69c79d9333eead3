import MonitorCore
import NIOCore

/// The two exposition formats a Prometheus scraper reads: the classic text format (the default) and
/// OpenMetrics, which a scraper asks for by `Accept`.
public enum ExpositionFormat: Sendable, Equatable {
    /// `text/plain; version=0.0.4`: timestamps in milliseconds.
    case prometheusText
    /// `application/openmetrics-text; version=1.0.0`: timestamps in seconds, counters named without `_total`
    /// in their `# TYPE` line, `# EOF` at the end.
    case openMetrics

    /// The format a scrape's `Accept` header asks for: OpenMetrics only when it names it.
    public init(accept: String?) {
        self = (accept?.contains("application/openmetrics-text") ?? false) ? .openMetrics : .prometheusText
    }

    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }
}

/// One container as a scrape sees it: who it is (its labels) and its newest sample.
public struct ExposedContainer: Sendable {
    public var series: ContainerSeries
    public var sample: Sample

    public init(series: ContainerSeries, sample: Sample) {
        self.series = series
        self.sample = sample
    }
}

/// Every container's newest figures as Prometheus series, named as cAdvisor names them (`MetricCatalog`'s
/// exposition names) so that existing queries and Grafana dashboards work: the raw counters in base units
/// (seconds, bytes), each with the tick's timestamp, and cAdvisor's labels in its order
/// (`container_label_com_docker_compose_project`, `…_service`, `id`, `image`, `name`). Written straight into
/// one buffer: nothing is allocated per series. `health` is the daemon's own registry in the text format
/// (`wakedock_…`), appended after the containers' families.
extension ByteBuffer {
    public mutating func writeExposition(of containers: [ExposedContainer], format: ExpositionFormat, health: [UInt8] = []) {
        reserveCapacity(writerIndex + 512 + containers.count * MetricCatalog.metrics.count * 260)
        for metric in MetricCatalog.metrics {
            guard let exposition = metric.exposition else { continue }
            writeFamilyHeader(exposition.name, help: exposition.help, kind: metric.kind, format: format)
            for container in containers {
                let value = metric.field.read(container.sample)
                if case .absent = value { continue }  // not offered by this kernel: no series rather than a 0
                writeSeriesStart(exposition.name, container.series)
                switch (value, metric.unit) {
                case (.integer(let nanos), .nanoseconds) where exposition.scale == 1e-9: writeExactSeconds(nanos: nanos)
                case (.integer(let micros), .microseconds) where exposition.scale == 1e-6:
                    writeExactSeconds(nanos: micros.multipliedReportingOverflow(by: 1000).overflow ? .max : micros * 1000, decimals: 6)
                case (.integer(let v), _) where exposition.scale == 1: writeDecimal(v)
                case (.integer(let v), _): writePrometheusNumber(Double(v) * exposition.scale)
                case (.decimal(let v), _): writePrometheusNumber(v * exposition.scale)
                case (.absent, _): break
                }
                writeTimestamp(container.sample.timestampNanos, format: format)
            }
        }
        writeFamilyHeader(
            "container_last_seen", help: "Last time a container was seen by the exporter", kind: .gauge, format: format)
        for container in containers {
            writeSeriesStart("container_last_seen", container.series)
            writeExactSeconds(nanos: UInt64(clamping: container.sample.timestampNanos), decimals: 3)
            writeTimestamp(container.sample.timestampNanos, format: format)
        }
        writeHealth(health, format: format)
        if format == .openMetrics { writeStaticString("# EOF\n") }
    }

    /// The health registry's text as is, or for OpenMetrics with each counter family named without its
    /// `_total` in its `# HELP` and `# TYPE` lines (the samples keep it), as that format wants.
    private mutating func writeHealth(_ text: [UInt8], format: ExpositionFormat) {
        guard format == .openMetrics else {
            writeBytes(text)
            return
        }
        var counters: Set<Substring> = []
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let words = String(decoding: line, as: UTF8.self).split(separator: " ", maxSplits: 3)
            if words.count == 4, words[0] == "#", words[1] == "TYPE", words[3] == "counter", words[2].hasSuffix("_total") {
                counters.insert(words[2])
            }
        }
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let words = String(decoding: line, as: UTF8.self).split(separator: " ", maxSplits: 3)
            if words.count >= 3, words[0] == "#", words[1] == "TYPE" || words[1] == "HELP", counters.contains(words[2]) {
                writeString("# \(words[1]) \(words[2].dropLast("_total".count))")
                if words.count == 4 { writeString(" \(words[3])") }
                writeStaticString("\n")
            } else {
                writeBytes(line)
                writeStaticString("\n")
            }
        }
    }

    /// `# HELP` and `# TYPE`. OpenMetrics names a counter's family without `_total` (its samples keep it). A
    /// counter whose cAdvisor name lacks `_total` (`container_memory_failcnt`) keeps the name and is typed
    /// `untyped` (`unknown` in OpenMetrics): a counter must end in `_total` there, and `promtool check metrics`
    /// says so of the text format too; PromQL's `rate()` works on it all the same.
    private mutating func writeFamilyHeader(_ name: String, help: String, kind: MetricSpec.Kind, format: ExpositionFormat) {
        var family = Substring(name)
        var type = kind == .counter ? "counter" : "gauge"
        if kind == .counter, !name.hasSuffix("_total") {
            type = format == .openMetrics ? "unknown" : "untyped"
        } else if kind == .counter, format == .openMetrics {
            family = family.dropLast("_total".count)
        }
        writeStaticString("# HELP ")
        writeSubstring(family)
        writeStaticString(" ")
        writeString(help)  // the catalog's own sentences: no backslash, no newline to escape
        writeStaticString("\n# TYPE ")
        writeSubstring(family)
        writeStaticString(" ")
        writeString(type)
        writeStaticString("\n")
    }

    /// `name{labels} ` — cAdvisor's labels, sorted by name as it writes them.
    private mutating func writeSeriesStart(_ name: String, _ series: ContainerSeries) {
        let identity = series.identity
        writeString(name)
        writeStaticString("{container_label_com_docker_compose_project=\"")
        writeLabelValue(identity.projectName ?? "")
        writeStaticString("\",container_label_com_docker_compose_service=\"")
        writeLabelValue(identity.serviceName ?? "")
        writeStaticString("\",id=\"")
        if let path = series.cgroupPath {
            writeLabelValue(path)
        } else {
            writeStaticString("/docker/")  // cgroupfs' layout: the path is known only when the cgroup was found by it
            writeLabelValue(identity.id)
        }
        writeStaticString("\",image=\"")
        writeLabelValue(identity.image ?? "")
        writeStaticString("\",name=\"")
        writeLabelValue(identity.name)
        writeStaticString("\"} ")
    }

    /// A label value with `\`, `"` and newlines escaped, as both formats want them.
    private mutating func writeLabelValue(_ value: String) {
        var plainFrom = value.utf8.startIndex
        for i in value.utf8.indices {
            let escaped: StaticString
            switch value.utf8[i] {
            case UInt8(ascii: "\\"): escaped = "\\\\"
            case UInt8(ascii: "\""): escaped = "\\\""
            case UInt8(ascii: "\n"): escaped = "\\n"
            default: continue
            }
            writeSubstring(Substring(value.utf8[plainFrom..<i]))
            writeStaticString(escaped)
            plainFrom = value.utf8.index(after: i)
        }
        writeSubstring(Substring(value.utf8[plainFrom...]))
    }

    /// Nanoseconds as seconds, exactly (no rounding through a Double): `12.000345678`, or `decimals` digits.
    private mutating func writeExactSeconds(nanos: UInt64, decimals: Int = 9) {
        writeDecimal(nanos / 1_000_000_000)
        writeStaticString(".")
        var fraction = nanos % 1_000_000_000
        var width = 9
        while width > decimals {
            fraction /= 10
            width -= 1
        }
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            writeInteger(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction / divisor % 10))
            divisor /= 10
        }
    }

    /// A decimal figure (a pressure average): two decimals, as the JSON carries it; never NaN or ±Inf (the
    /// JSON writer writes 0 for them, and so does this).
    private mutating func writePrometheusNumber(_ value: Double) {
        writeJSONDouble(value, decimals: 2)
    }

    /// ` <timestamp>\n`: milliseconds in the text format, seconds in OpenMetrics.
    private mutating func writeTimestamp(_ nanos: Int64, format: ExpositionFormat) {
        writeStaticString(" ")
        switch format {
        case .prometheusText: writeDecimal(nanos / 1_000_000)
        case .openMetrics: writeExactSeconds(nanos: UInt64(clamping: nanos), decimals: 3)
        }
        writeStaticString("\n")
    }
}
