import MonitorCore
import MonitorEncoding
import NIOCore
import Testing

/// The Prometheus exposition, line by line: cAdvisor's names and labels, exact seconds from nanosecond
/// counters, timestamps in each format's unit, escaping, absent figures left out, OpenMetrics' own rules.
/// (`Tests/e2e/test_prometheus.py` runs promtool over the real daemon's answer.)
@Suite struct ExpositionTests {
    static let series = ContainerSeries(
        identity: ContainerIdentity(id: "abc123", name: "we\"b\\1\n", serviceName: "web", projectName: "shop", image: "busybox"),
        capacity: 4, cgroupPath: "/docker/abc123")

    static var sample: Sample {
        var s = Sample(container: series.identity, timestampNanos: 1_737_023_400_250_000_000)
        s.cpuUsageNanos = 12_000_345_678
        s.memoryUsage = 1024
        s.networkRxBytes = 5
        s.memoryFailcnt = 2
        s.psiMemory = 1.5
        s.psiMemorySomeMicros = 1_234_567
        s.psiMemoryFullMicros = 7
        return s
    }

    static func lines(_ format: ExpositionFormat) -> [String] {
        var buffer = ByteBuffer()
        buffer.writeExposition(of: [ExposedContainer(series: series, sample: sample)], format: format)
        return String(buffer: buffer).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static let labels =
        #"{container_label_com_docker_compose_project="shop",container_label_com_docker_compose_service="web",id="/docker/abc123",image="busybox",name="we\"b\\1\n"}"#

    @Test func theTextFormatNamesSeriesAsCAdvisorDoes() {
        let lines = Self.lines(.prometheusText)
        #expect(lines.contains("# TYPE container_cpu_usage_seconds_total counter"))
        #expect(lines.contains("container_cpu_usage_seconds_total\(Self.labels) 12.000345678 1737023400250"))
        #expect(lines.contains("container_memory_working_set_bytes\(Self.labels) 1024 1737023400250"))
        #expect(lines.contains("container_network_receive_bytes_total\(Self.labels) 5 1737023400250"))
        #expect(lines.contains("# TYPE container_memory_failcnt untyped"))
        #expect(lines.contains("wakedock_container_psi_memory_some_avg10\(Self.labels) 1.5 1737023400250"))
        // PSI totals: exact seconds from the kernel's microseconds.
        #expect(lines.contains("container_pressure_memory_waiting_seconds_total\(Self.labels) 1.234567 1737023400250"))
        #expect(lines.contains("container_pressure_memory_stalled_seconds_total\(Self.labels) 0.000007 1737023400250"))
        #expect(!lines.contains { $0.hasPrefix("container_pressure_cpu_waiting_seconds_total{") })
        #expect(lines.contains("container_last_seen\(Self.labels) 1737023400.250 1737023400250"))
        // No CPU pressure on this sample: no series, rather than a made-up 0.
        #expect(!lines.contains { $0.hasPrefix("wakedock_container_psi_cpu_some_avg10{") })
        #expect(!lines.contains("# EOF"))
        #expect(lines.last == "")
        // Every family's samples follow its own TYPE line, and every exposed catalog metric has one.
        let families = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(families.count == MetricCatalog.metrics.filter { $0.exposition != nil }.count + 1)
        #expect(Set(families).count == families.count)
    }

    @Test func openMetricsHasItsOwnRules() {
        let lines = Self.lines(.openMetrics)
        #expect(lines.contains("# TYPE container_cpu_usage_seconds counter"))
        #expect(lines.contains("container_cpu_usage_seconds_total\(Self.labels) 12.000345678 1737023400.250"))
        // A counter without `_total` cannot be an OpenMetrics counter.
        #expect(lines.contains("# TYPE container_memory_failcnt unknown"))
        #expect(lines.contains("# TYPE container_pressure_memory_waiting_seconds counter"))
        #expect(lines.suffix(2) == ["# EOF", ""])
        #expect(ExpositionFormat(accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5") == .openMetrics)
        #expect(ExpositionFormat(accept: "text/plain") == .prometheusText)
        #expect(ExpositionFormat(accept: nil) == .prometheusText)
    }
}
