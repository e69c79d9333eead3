import CSupport
import MonitorCore
import Testing

/// The arithmetic of SPEC §2 with exact inputs.
@Suite struct SampleDerivationTests {
    let identity = ContainerIdentity(id: String(repeating: "a", count: 64), name: "web")

    private func raw(cpu: UInt64 = 0, usage: UInt64 = 0, inactive: UInt64 = 0, limit: UInt64 = 0, rx: UInt64 = 0, tx: UInt64 = 0) -> wd_raw {
        var r = wd_raw()
        r.cpu_usage_ns = cpu
        r.mem_usage = usage
        r.mem_inactive_file = inactive
        r.mem_limit = limit
        r.net_rx_bytes = rx
        r.net_tx_bytes = tx
        return r
    }

    @Test func oneBusyCoreIsAHundredPercent() {
        let s = SampleDerivation.sample(
            identity: identity, current: raw(cpu: 1_500_000_000), previous: raw(cpu: 1_000_000_000),
            elapsedNanos: 500_000_000, wallNanos: 0, systemCPUNanos: 0, hostMemTotal: 1 << 30)
        #expect(s.cpuPercent == 100)
        let two = SampleDerivation.sample(
            identity: identity, current: raw(cpu: 2_000_000_000), previous: raw(cpu: 1_000_000_000),
            elapsedNanos: 500_000_000, wallNanos: 0, systemCPUNanos: 0, hostMemTotal: 1 << 30)
        #expect(two.cpuPercent == 200)  // two cores: 200 %, as docker stats shows
    }

    @Test func networkRatesAreBytesPerSecond() {
        let s = SampleDerivation.sample(
            identity: identity, current: raw(rx: 3000, tx: 1000), previous: raw(rx: 1000, tx: 500),
            elapsedNanos: 2_000_000_000, wallNanos: 0, systemCPUNanos: 0, hostMemTotal: 1 << 30)
        #expect(s.networkRxRate == 1000)
        #expect(s.networkTxRate == 250)
    }

    @Test func firstSampleHasZeroRates() {
        let s = SampleDerivation.sample(
            identity: identity, current: raw(cpu: 9_000_000_000, rx: 5000), previous: nil,
            elapsedNanos: 0, wallNanos: 0, systemCPUNanos: 0, hostMemTotal: 1 << 30)
        #expect(s.cpuPercent == 0 && s.networkRxRate == 0)
        #expect(s.cpuUsageNanos == 9_000_000_000 && s.networkRxBytes == 5000)
    }

    @Test func counterGoingBackwardsGivesZeroNotGarbage() {
        let s = SampleDerivation.sample(
            identity: identity, current: raw(cpu: 10, rx: 1), previous: raw(cpu: 5_000_000_000, rx: 1 << 40),
            elapsedNanos: 1_000_000_000, wallNanos: 0, systemCPUNanos: 0, hostMemTotal: 1 << 30)
        #expect(s.cpuPercent == 0)
        #expect(s.networkRxRate == 0)
    }

    @Test func memoryFollowsDockerStats() {
        // usage − inactive_file, limit capped at the host total, percent of that.
        let s = SampleDerivation.sample(
            identity: identity, current: raw(usage: 300 << 20, inactive: 100 << 20, limit: 9_223_372_036_854_771_712),
            previous: nil, elapsedNanos: 0, wallNanos: 0, systemCPUNanos: 0, hostMemTotal: 1 << 30)
        #expect(s.memoryUsage == 200 << 20)
        #expect(s.memoryLimit == 1 << 30)
        #expect(abs(s.memoryPercent - 19.53125) < 1e-9)
        let limited = SampleDerivation.sample(
            identity: identity, current: raw(usage: 32 << 20, inactive: 64 << 20, limit: 64 << 20),
            previous: nil, elapsedNanos: 0, wallNanos: 0, systemCPUNanos: 0, hostMemTotal: 1 << 30)
        #expect(limited.memoryUsage == 32 << 20)  // inactive above usage: usage unchanged
        #expect(limited.memoryPercent == 50)
    }
}
