import Foundation
import MonitorCore
import MonitorEncoding
import NIOCore
import Testing

@Suite struct EncodingTests {
    @Test func timestampsMatchFoundationsISO8601() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let millis = Int64.random(in: 0...4_102_444_800_000, using: &generator)  // up to 2100
            var buffer = ByteBuffer()
            buffer.writeRFC3339(nanos: millis * 1_000_000, precision: .milliseconds)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
            #expect(String(buffer: buffer) == expected)
        }
        var seconds = ByteBuffer()
        seconds.writeRFC3339(nanos: 1_737_023_400_000_000_000, precision: .seconds)
        #expect(String(buffer: seconds) == "2025-01-16T10:30:00Z")
    }

    @Test func numbersAreWrittenAsTheSeedShowsThem() {
        func text(_ v: Double, _ decimals: Int = 2) -> String {
            var b = ByteBuffer()
            b.writeJSONDouble(v, decimals: decimals)
            return String(buffer: b)
        }
        #expect(text(25.5) == "25.5")
        #expect(text(50) == "50.0")
        #expect(text(0.004) == "0.0")
        #expect(text(99.999) == "100.0")
        #expect(text(-1.25) == "-1.25")
        #expect(text(.nan) == "0")
        #expect(text(1234.5678, 3) == "1234.568")
        var b = ByteBuffer()
        b.writeDecimal(UInt64.max)
        #expect(String(buffer: b) == "18446744073709551615")
    }

    @Test func sampleIsValidJSONWithTheSeedsFieldNames() throws {
        let identity = ContainerIdentity(
            id: String(repeating: "b", count: 64), name: "we\"b\n", serviceName: "web", projectName: nil)
        var sample = Sample(container: identity, timestampNanos: 1_737_023_400_250_000_000)
        sample.cpuPercent = 25.5
        sample.memoryUsage = 536_870_912
        sample.memoryLimit = 1_073_741_824
        sample.memoryPercent = 50
        sample.pids = 15
        var buffer = ByteBuffer()
        buffer.writeSampleJSON(sample, precision: .milliseconds)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        #expect(object["container_name"] as? String == "we\"b\n")
        #expect(object["service_name"] as? String == "web")
        #expect(object["project_name"] is NSNull)
        #expect(object["timestamp"] as? String == "2025-01-16T10:30:00.250Z")
        #expect(object["cpu_percent"] as? Double == 25.5)
        #expect(object["memory_usage"] as? Int == 536_870_912)
        #expect(object["pids"] as? Int == 15)
        for key in [
            "container_id", "memory_limit", "memory_percent", "network_rx_bytes", "network_tx_bytes", "cpu_usage",
            "cpu_system_usage", "memory_cache", "memory_usage_raw", "network_rx_packets", "network_tx_packets", "block_read_bytes",
            "block_write_bytes",
        ] {
            #expect(object[key] != nil, "missing \(key)")
        }
    }

    /// The sample's keys are the container's, the time, then the catalog's metrics in its order — every one of
    /// them, each once, each with the JSON type its entry declares (absent PSI as null).
    @Test func aSampleCarriesEveryCatalogMetricInOrder() throws {
        var sample = Sample(container: ContainerIdentity(id: "abc", name: "web"), timestampNanos: 1_737_023_400_000_000_000)
        sample.psiCPU = 1.5
        var buffer = ByteBuffer()
        buffer.writeSampleJSON(sample, precision: .seconds)
        let text = String(buffer: buffer)
        var keys: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "\""), let close = rest[open.upperBound...].range(of: "\":") {
            keys.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
            // Skip a string value, so that its quotes are not read as a key's.
            if rest.first == "\"", let end = rest.dropFirst().firstIndex(of: "\"") { rest = rest[rest.index(after: end)...] }
        }
        #expect(keys == ["container_id", "container_name", "service_name", "project_name", "timestamp"] + MetricCatalog.metrics.filter(\.inJSON).map(\.name))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        for metric in MetricCatalog.metrics where metric.inJSON {
            switch (metric.field.read(sample), metric.format) {
            case (.absent, _): #expect(object[metric.name] is NSNull, "\(metric.name)")
            case (_, .integer): #expect(object[metric.name] as? Int == 0, "\(metric.name)")
            case (.decimal(let v), .decimal): #expect(object[metric.name] as? Double == v, "\(metric.name)")
            case (.integer, .decimal): Issue.record("\(metric.name): a whole-number field written as a decimal")
            }
        }
    }
}

@Suite struct JSONCursorBoundTests {
    /// Debug builds check every cursor write against the reserved memory: a sample at its longest (strings
    /// of control characters, every number at its widest) must fit the bound it reserves, byte for byte.
    @Test func aSampleAtItsLongestFitsItsBound() throws {
        let nasty = String(repeating: "\u{01}", count: 120)
        let identity = ContainerIdentity(id: nasty, name: nasty, serviceName: nasty, projectName: nasty)
        var s = Sample(container: identity, timestampNanos: .min)
        s.cpuPercent = -.greatestFiniteMagnitude
        s.memoryPercent = -999_999_999_999_999.9
        s.networkRxRate = -1.8e19
        s.networkTxRate = .infinity
        s.blockReadRate = -.nan
        s.blockWriteRate = -1e300
        s.psiCPU = -123_456_789_012_345.678
        s.psiMemory = -.leastNonzeroMagnitude
        s.psiIO = 1e16
        for path in [\Sample.memoryUsage, \.memoryLimit, \.networkRxBytes, \.networkTxBytes, \.pids, \.cpuUsageNanos,
                     \.cpuSystemUsageNanos, \.memoryCache, \.memoryUsageRaw, \.networkRxPackets, \.networkTxPackets, \.blockReadBytes,
                     \.blockWriteBytes, \.cpuThrottledPeriods, \.memoryFailcnt, \.oomKills] {
            s[keyPath: path] = .max
        }
        for nanos in [Int64.min, -1, 0, Int64.max] {
            s.timestampNanos = nanos
            var buffer = ByteBuffer()
            buffer.writeSampleJSON(s, precision: .milliseconds)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
            #expect(object["container_name"] as? String == nasty)
            #expect(object.count == 30)
        }
    }

    @Test func numbersAtTheirEdges() {
        func text(_ write: (inout ByteBuffer) -> Void) -> String {
            var b = ByteBuffer()
            write(&b)
            return String(buffer: b)
        }
        #expect(text { $0.writeDecimal(Int64.min) } == "-9223372036854775808")
        #expect(text { $0.writeDecimal(UInt64(0)) } == "0")
        #expect(text { $0.writeDecimal(UInt64(10)) } == "10")
        #expect(text { $0.writeJSONDouble(1e15, decimals: 2) } == "1000000000000000.0")
        #expect(text { $0.writeJSONDouble(-2.5e18, decimals: 1) } == "-2500000000000000000.0")
        #expect(text { $0.writeJSONDouble(1e20, decimals: 1) } == "1e+20")
        #expect(text { $0.writeJSONDouble(0.05, decimals: 1) } == "0.1")
        #expect(text { $0.writeJSONDouble(1.005, decimals: 3) } == "1.005")
        #expect(text { $0.writeJSONDouble(7.0401, decimals: 3) } == "7.04")
        #expect(text { $0.writeJSONDouble(3.0007, decimals: 3) } == "3.001")
        #expect(text { $0.writeJSONDouble(12.5, decimals: 0) } == "13.0")
        #expect(text { $0.writeRFC3339(nanos: Int64.max, precision: .milliseconds) } == "2262-04-11T23:47:16.854Z")
        #expect(text { $0.writeRFC3339(nanos: Int64.min, precision: .milliseconds) } == "1677-09-21T00:12:43.145Z")
    }
}
