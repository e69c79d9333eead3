import Testing

@testable import MonitorServer

/// Who can reach the API, from the listening address (issue 16, part 1).
@Suite struct ListenExposureTests {
    @Test func loopbackAddressesAreLocalAndTheRestIsWarnedOf() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1"] {
            #expect(ListenExposure(host: host, port: 8000).isLoopbackOnly, "\(host)")
            #expect(ListenExposure(host: host, port: 8000).warning == nil)
        }
        for host in ["0.0.0.0", "::", "192.168.1.10", "127.0.0", "127.0.0.256", "example.org", ""] {
            #expect(!ListenExposure(host: host, port: 8000).isLoopbackOnly, "\(host)")
            #expect(ListenExposure(host: host, port: 8000).warning?.contains("without authentication") == true)
        }
    }
}
