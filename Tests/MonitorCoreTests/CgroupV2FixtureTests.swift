import CSupport
import Foundation
@testable import MonitorCore
import Testing

/// cgroup v2 on a fixture tree in the kernel's documented formats (this host has no v2 memory controller).
@Suite struct CgroupV2FixtureTests {
    let tree: FixtureTree
    let layout: CgroupLayout

    init() throws {
        tree = try FixtureTree()
        layout = try CgroupLayout.detect(root: tree.cgroupRoot, mountinfo: nil)
    }

    private func makeCollector() -> (Collector, CapturingSink) {
        let collector = Collector(options: .init(layout: layout, procRoot: tree.procRoot, ringCapacity: 8), logger: testLogger)
        let sink = CapturingSink()
        collector.add(sink: sink)
        collector.inbox.post(.replaceAll(CgroupScanner(layout: layout).scan()))
        return (collector, sink)
    }

    @Test func treeShapeIsDetectedAsV2() {
        #expect(layout.mode == .v2)
        #expect(layout.fileVersion == 2)
        #expect(layout.scanRoot == tree.cgroupRoot)
    }

    @Test func scannerFindsTheSystemdScopeAndItsPid() {
        let targets = CgroupScanner(layout: layout).scan()
        #expect(targets.count == 1)
        #expect(targets.first?.identity.id == FixtureTree.containerID)
        #expect(targets.first?.identity.name == String(FixtureTree.containerID.prefix(12)))
        #expect(targets.first?.cgroupPath == "/system.slice/docker-\(FixtureTree.containerID).scope")
    }

    @Test func firstSampleReadsEveryFieldAndHasZeroRates() throws {
        let (collector, sink) = makeCollector()
        collector.tick()
        let s = try #require(sink.last.first)
        #expect(s.cpuUsageNanos == 5_000_000_000)
        #expect(s.cpuThrottledPeriods == 7)
        #expect(s.memoryUsage == 209_715_200 - 41_943_040)  // memory.current − inactive_file
        #expect(s.memoryUsageRaw == 209_715_200)  // memory.current
        #expect(s.memoryLimit == 536_870_912)
        #expect(abs(s.memoryPercent - Double(209_715_200 - 41_943_040) / 536_870_912 * 100) < 1e-9)
        #expect(s.memoryCache == 52_428_800)  // v2 "file"
        #expect(s.memoryFailcnt == 3)  // memory.events "max"
        #expect(s.oomKills == 1)
        #expect(s.pids == 12)
        #expect(s.blockReadBytes == 1_459_200 + 4096)
        #expect(s.blockWriteBytes == 314_773_504 + 8192)
        #expect(s.networkRxBytes == 1_048_576 + 12_345_678_901)
        #expect(s.networkTxBytes == 2_097_152 + 100)
        #expect(s.psiCPU == 1.25)
        #expect(s.psiIO == 12.5)
        // The totals, microseconds (cAdvisor's container_pressure_*_seconds_total).
        #expect(s.psiCPUSomeMicros == 123_456 && s.psiCPUFullMicros == 0)
        #expect(s.psiIOSomeMicros == 999 && s.psiIOFullMicros == 900)
        #expect(s.cpuSystemUsageNanos == (10000 + 200 + 3000 + 500_000 + 100 + 0 + 50) * 1_000_000_000 / UInt64(wd_clock_ticks_per_second()))
        #expect(s.cpuPercent == 0 && s.networkRxRate == 0 && s.blockWriteRate == 0)
    }

    @Test func ratesComeFromDeltasAndABackwardCounterResetsThem() throws {
        let (collector, sink) = makeCollector()
        collector.tick()
        try tree.write("usage_usec 5100000\nnr_periods 120\nnr_throttled 7\n", to: "cpu.stat")
        try tree.writeNetdev(rx: 2_000_000, tx: 3_000_000)
        collector.tick()
        let second = try #require(sink.last.first)
        #expect(second.cpuPercent > 0)
        #expect(second.networkTxRate > 0)
        // A restart: every counter goes back to small values. Rates must be 0, never negative or huge.
        try tree.write("usage_usec 10\nnr_periods 0\nnr_throttled 0\n", to: "cpu.stat")
        try tree.writeNetdev(rx: 5, tx: 5)
        collector.tick()
        let third = try #require(sink.last.first)
        #expect(third.cpuPercent == 0)
        #expect(third.networkRxRate == 0 && third.networkTxRate == 0)
        #expect(third.cpuUsageNanos == 10_000)
    }

    @Test func unlimitedMemoryReportsTheHostTotal() throws {
        try tree.write("max\n", to: "memory.max")
        let (collector, sink) = makeCollector()
        collector.tick()
        let s = try #require(sink.last.first)
        #expect(s.memoryLimit == 2_048_000 * 1024)
    }

    @Test func aVanishedCgroupIsDroppedAndCounted() throws {
        let (collector, _) = makeCollector()
        collector.tick()
        #expect(collector.containerCount == 1)
        // A removed cgroup makes reads of kept descriptors fail; on a fixture the files stay readable, so
        // discovery's word is what drops it here (the real-kernel test covers ENODEV).
        collector.inbox.post(.remove(id: FixtureTree.containerID))
        collector.tick()
        #expect(collector.containerCount == 0)
        #expect(collector.registry.all.isEmpty)
    }

    @Test func aRescanThatChangesNothingKeepsTheSeriesAndOneThatDropsAContainerRemovesIt() throws {
        let (collector, _) = makeCollector()
        collector.tick()
        let series = try #require(collector.registry.all.first)
        // The cgroup scan posts its whole list every few seconds: the same list changes nothing.
        collector.inbox.post(.replaceAll(CgroupScanner(layout: layout).scan()))
        collector.tick()
        #expect(collector.registry.all.count == 1 && collector.registry.all.first === series)
        // A rename through the list is a new identity for the same history.
        let renamed = CollectionTarget(
            identity: ContainerIdentity(id: FixtureTree.containerID, name: "renamed"), pid: nil,
            cgroupPath: "/system.slice/docker-\(FixtureTree.containerID).scope")
        collector.inbox.post(.replaceAll([renamed]))
        collector.tick()
        #expect(collector.registry.all.first?.identity.name == "renamed")
        #expect(collector.registry.all.first?.recent(limit: 10).count == 3)
        collector.inbox.post(.replaceAll([]))
        collector.tick()
        #expect(collector.containerCount == 0 && collector.registry.all.isEmpty)
    }

    @Test func mountinfoOfAPureV2Host() {
        let text = """
            25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
            33 25 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """
        let layout = CgroupLayout.fromMountinfo(text, root: "/sys/fs/cgroup")
        #expect(layout?.mode == .v2)
        #expect(layout?.unified == "/sys/fs/cgroup")
        let dirs = layout?.directories(procCgroup: "0::/system.slice/docker-abc.scope\n")
        #expect(dirs?.memory == "/sys/fs/cgroup/system.slice/docker-abc.scope")
    }

    @Test func mountinfoOfAHybridHostWithSeparateCpuAndCpuacct() {
        let text = """
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """
        let layout = CgroupLayout.fromMountinfo(text, root: "/sys/fs/cgroup")
        #expect(layout?.mode == .hybrid)
        #expect(layout?.controllers["cpuacct"] == "/sys/fs/cgroup/cpuacct")
        let dirs = layout?.directories(procCgroup: "4:memory:/docker/x\n2:cpuacct:/docker/x\n1:cpu:/docker/x\n0::/docker/x\n")
        #expect(dirs?.memory == "/sys/fs/cgroup/memory/docker/x")
        #expect(dirs?.cpuacct == "/sys/fs/cgroup/cpuacct/docker/x")
        #expect(dirs?.unified == "/sys/fs/cgroup/unified/docker/x")
    }

    @Test func containerFolderNamesAreRecognised() {
        let id = FixtureTree.containerID
        #expect(CgroupScanner.containerID(inDirectoryName: id) == id)
        #expect(CgroupScanner.containerID(inDirectoryName: "docker-\(id).scope") == id)
        #expect(CgroupScanner.containerID(inDirectoryName: "libpod-\(id).scope") == id)
        #expect(CgroupScanner.containerID(inDirectoryName: "cri-containerd-\(id).scope") == id)
        #expect(CgroupScanner.containerID(inDirectoryName: "libpod-conmon-\(id).scope") == nil)
        #expect(CgroupScanner.containerID(inDirectoryName: "system.slice") == nil)
        #expect(CgroupScanner.containerID(inDirectoryName: String(id.dropLast())) == nil)
    }
}
