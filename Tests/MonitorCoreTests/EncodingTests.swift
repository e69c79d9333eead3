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
            "cpu_system_usage", "memory_cache", "network_rx_packets", "network_tx_packets", "block_read_bytes",
            "block_write_bytes",
        ] {
            #expect(object[key] != nil, "missing \(key)")
        }
    }
}
