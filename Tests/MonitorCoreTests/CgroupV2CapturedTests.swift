import CSupport
import Foundation
@testable import MonitorCore
import Testing

/// cgroup v2 as a real kernel wrote it: one container's files captured from the Debian 12 host of the VM test
/// (kernel 6.1.0-50-amd64, docker.io 20.10.24 on the systemd cgroup driver; Fixtures/README.md says how).
/// Every expected figure below is read off those files by hand.
@Suite struct CgroupV2CapturedTests {
    static let containerID = "c146e08006f236574030ebe03891f5aa52f4206e34bd43c7936344621f48228c"
    let tree: FixtureTree
    let layout: CgroupLayout

    init() throws {
        tree = try FixtureTree(set: "debian12-v2")
        layout = try CgroupLayout.detect(root: tree.cgroupRoot, mountinfo: nil)
    }

    @Test func theHostsMountinfoSaysPureV2() throws {
        let mountinfo = try String(contentsOf: tree.root.appendingPathComponent("mountinfo"), encoding: .utf8)
        let fromKernel = try #require(CgroupLayout.fromMountinfo(mountinfo, root: "/sys/fs/cgroup"))
        #expect(fromKernel.mode == .v2)
        #expect(fromKernel.unified == "/sys/fs/cgroup")
        #expect(layout.mode == .v2)
    }

    @Test func theScannerFindsOnlyTheDockerScope() {
        // system.slice also holds docker.service, containerd.service and the like: not containers.
        let targets = CgroupScanner(layout: layout).scan()
        #expect(targets.map(\.identity.id) == [Self.containerID])
        #expect(targets.first?.cgroupPath == "/system.slice/docker-\(Self.containerID).scope")
    }

    @Test func theProcessCgroupLineLeadsToTheScope() throws {
        let text = try String(contentsOf: tree.root.appendingPathComponent("proc/691/cgroup"), encoding: .utf8)
        #expect(layout.directories(procCgroup: text).memory == tree.cgroupRoot + "/system.slice/docker-\(Self.containerID).scope")
    }

    @Test func everyFieldIsReadAsTheKernelWroteIt() throws {
        let collector = Collector(options: .init(layout: layout, procRoot: tree.procRoot, ringCapacity: 8), logger: testLogger)
        let sink = CapturingSink()
        collector.add(sink: sink)
        collector.inbox.post(.replaceAll(CgroupScanner(layout: layout).scan()))
        collector.tick()
        let s = try #require(sink.last.first)
        #expect(s.cpuUsageNanos == 2_832_745_000)  // cpu.stat usage_usec
        #expect(s.cpuThrottledPeriods == 0)
        #expect(s.memoryUsage == 22_867_968 - 1_982_464)  // memory.current − memory.stat inactive_file
        #expect(s.memoryLimit == 268_435_456)  // memory.max (docker run --memory 256m)
        #expect(s.memoryCache == 1_990_656)  // memory.stat file
        #expect(s.memoryFailcnt == 0 && s.oomKills == 0)  // memory.events max, oom_kill
        #expect(s.pids == 4)
        #expect(s.blockReadBytes == 0 && s.blockWriteBytes == 3_964_928)  // io.stat 254:0 (virtio disk)
        #expect(s.networkRxBytes == 1552 && s.networkTxBytes == 966)  // /proc/691/net/dev eth0 (lo left out)
        #expect(s.psiCPU == 6.90)  // cpu.pressure some avg10
        #expect(s.psiCPUSomeMicros == 1_591_623 && s.psiCPUFullMicros == 126_983)  // its total= lines
        #expect(s.psiMemory == 0 && s.psiIO == 0)
        // /proc/stat's cpu line: 9327+0+3068+8318+82+0+44 ticks (steal, guest not added).
        #expect(s.cpuSystemUsageNanos == (9327 + 3068 + 8318 + 82 + 44) * 1_000_000_000 / UInt64(wd_clock_ticks_per_second()))
    }
}
