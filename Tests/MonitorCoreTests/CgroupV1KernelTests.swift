import Foundation
import MonitorCore
import Testing

/// cgroup v1 on the real kernel of this host: a test cgroup in every controller, a real process in it that
/// burns CPU and holds memory, read by the real collector, then removed under it.
@Suite(.serialized) struct CgroupV1KernelTests {
    let layout: CgroupLayout
    let name = "wakedock-test-\(getpid())"
    let controllers = ["memory", "cpuacct", "cpu", "pids", "blkio"]

    init() throws {
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        layout = try CgroupLayout.detect(root: "/sys/fs/cgroup", mountinfo: mountinfo)
    }

    private func directory(_ controller: String) throws -> String {
        try #require(layout.controllers[controller], "no v1 \(controller) controller mounted: this test needs a cgroup v1 host as root") + "/" + name
    }

    private func createGroups() throws {
        for controller in controllers {
            let dir = try directory(controller)
            guard mkdir(dir, 0o755) == 0 || errno == EEXIST else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, userInfo: [NSLocalizedDescriptionKey: "mkdir \(dir) (needs root)"])
            }
        }
    }

    private func removeGroups() {
        for controller in controllers {
            if let dir = try? directory(controller) { rmdir(dir) }
        }
    }

    private func move(pid: Int32) throws {
        for controller in controllers {
            try "\(pid)\n".write(toFile: try directory(controller) + "/cgroup.procs", atomically: false, encoding: .utf8)
        }
    }

    @Test func readsARealCgroupThenDropsItWhenRemoved() async throws {
        #expect(layout.mode != .v2, "this host should be cgroup v1 or hybrid")
        try createGroups()
        defer { removeGroups() }

        // A process that waits until it is in the cgroup (so its memory is charged there), then fills 64 MiB
        // and spins.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sys,time\nsys.stdin.readline()\nx=b'\\x01'*(64<<20)\nprint('ready',flush=True)\nt=time.time()\nwhile time.time()-t<30: pass",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try move(pid: process.processIdentifier)
        input.fileHandleForWriting.write(Data("go\n".utf8))
        _ = output.fileHandleForReading.availableData  // "ready": the memory is allocated

        let collector = Collector(options: .init(layout: layout, ringCapacity: 4), logger: testLogger)
        let sink = CapturingSink()
        collector.add(sink: sink)
        collector.inbox.post(.replaceAll([
            CollectionTarget(
                identity: ContainerIdentity(id: String(repeating: "c", count: 64), name: name),
                pid: process.processIdentifier, cgroupPath: "/" + name)
        ]))
        collector.tick()
        try await Task.sleep(for: .milliseconds(400))
        collector.tick()
        let s = try #require(sink.last.first)
        #expect(s.cpuPercent > 50 && s.cpuPercent < 150, "one spinning process ≈ 100 %, got \(s.cpuPercent)")
        #expect(s.memoryUsage >= 64 << 20 && s.memoryUsage < 160 << 20, "64 MiB held, got \(s.memoryUsage)")
        #expect(s.pids == 1)
        #expect(s.memoryLimit > 0 && s.memoryLimit <= UInt64(ProcessInfo.processInfo.physicalMemory))
        #expect(s.networkRxBytes > 0, "the process shares the host's network namespace")

        // A limit set on the cgroup shows up in the next sample.
        try "\(512 << 20)\n".write(toFile: try directory("memory") + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
        collector.tick()
        #expect(sink.last.first?.memoryLimit == 512 << 20)

        // The container goes away: its cgroup is removed under the kept descriptors.
        kill(process.processIdentifier, SIGKILL)  // SIGTERM may be ignored, inherited from the test runner
        process.waitUntilExit()
        try await Task.sleep(for: .milliseconds(100))
        removeGroups()
        collector.tick()
        #expect(collector.containerCount == 0)
        #expect(collector.statistics.vanishedContainers.load(ordering: .relaxed) == 1)
        #expect(sink.last.isEmpty)
    }
}
