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

    /// Starts `python3 -c script` (which waits for a line on stdin, so that it is in the cgroup before it
    /// allocates), moves it into the test cgroups and lets it go. Kill it when done.
    private func startInCgroup(_ script: String) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys,time\nsys.stdin.readline()\n" + script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        do {
            try move(pid: process.processIdentifier)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw error
        }
        input.fileHandleForWriting.write(Data("go\n".utf8))
        return (process, output)
    }

    /// A collector (default cadence) watching the test cgroup as container `id`.
    private func makeCollector(watching pid: Int32, id: String) -> (Collector, CapturingSink) {
        let collector = Collector(options: .init(layout: layout, ringCapacity: 4), logger: testLogger)
        let sink = CapturingSink()
        collector.add(sink: sink)
        collector.inbox.post(.replaceAll([
            CollectionTarget(identity: ContainerIdentity(id: id, name: name), pid: pid, cgroupPath: "/" + name)
        ]))
        return (collector, sink)
    }

    @Test func readsARealCgroupThenDropsItWhenRemoved() async throws {
        #expect(layout.mode != .v2, "this host should be cgroup v1 or hybrid")
        try createGroups()
        defer { removeGroups() }

        // A process that fills 64 MiB and spins.
        let (process, output) = try startInCgroup(
            "x=b'\\x01'*(64<<20)\nprint('ready',flush=True)\nt=time.time()\nwhile time.time()-t<30: pass")
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        _ = output.fileHandleForReading.availableData  // "ready": the memory is allocated
        let (collector, sink) = makeCollector(watching: process.processIdentifier, id: String(repeating: "c", count: 64))
        collector.tick()
        try await Task.sleep(for: .milliseconds(400))
        collector.tick()
        let s = try #require(sink.last.first)
        #expect(s.cpuPercent > 50 && s.cpuPercent < 150, "one spinning process ≈ 100 %, got \(s.cpuPercent)")
        #expect(s.memoryUsage >= 64 << 20 && s.memoryUsage < 160 << 20, "64 MiB held, got \(s.memoryUsage)")
        #expect(s.memoryUsageRaw >= s.memoryUsage, "memory.usage_in_bytes includes what the working set leaves out")
        #expect(s.pids == 1)
        #expect(s.memoryLimit > 0 && s.memoryLimit <= UInt64(ProcessInfo.processInfo.physicalMemory))
        #expect(s.networkRxBytes > 0, "the process shares the host's network namespace")

        // A limit set on the cgroup is read within the second, and at once when Docker says `update`.
        try "\(512 << 20)\n".write(toFile: try directory("memory") + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
        collector.inbox.post(.refresh(id: String(repeating: "c", count: 64)))
        collector.tick()
        #expect(sink.last.first?.memoryLimit == 512 << 20)
        try "\(256 << 20)\n".write(toFile: try directory("memory") + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
        collector.tick(at: Clocks.monotonicNanos() + 1_000_000_000)
        #expect(sink.last.first?.memoryLimit == 256 << 20)

        // The container goes away: its cgroup is removed under the kept descriptors.
        kill(process.processIdentifier, SIGKILL)  // SIGTERM may be ignored, inherited from the test runner
        process.waitUntilExit()
        try await Task.sleep(for: .milliseconds(100))
        removeGroups()
        collector.tick()
        #expect(collector.containerCount == 0)
        #expect(collector.health.readings().count(CollectorStatistics.Names.vanished) == 1)
        #expect(sink.last.isEmpty)
    }

    /// docker stats' memory is usage − inactive_file, and memory.stat (inactive_file) is read once a second, or
    /// at once when usage moved. On a process that allocates memory and fills page cache all along (new file
    /// pages land on the inactive list, so inactive_file moves as fast as usage), every 0.1 s sample stays
    /// within 1 % of a full read of both files taken around it. With memory.stat only once a second, the
    /// samples would be off by up to a second of page cache (~25 MB here).
    @Test func memoryFollowsAProcessThatAllocatesAndFillsPageCache() async throws {
        try createGroups()
        defer { removeGroups() }
        let cacheFile = FileManager.default.temporaryDirectory.appendingPathComponent("wakedock-cache-\(getpid())").path
        defer { unlink(cacheFile) }
        let (process, _) = try startInCgroup(
            "f=open('\(cacheFile)','wb')\nx=[]\nfor i in range(150):\n  x.append(b'\\x01'*(1<<19)); f.write(b'\\x02'*(1<<19)); f.flush(); time.sleep(0.02)\ntime.sleep(30)")
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        let memory = try directory("memory")
        func fullRead() throws -> UInt64 {
            let usage = try #require(UInt64(try String(contentsOfFile: memory + "/memory.usage_in_bytes", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
            let stat = try String(contentsOfFile: memory + "/memory.stat", encoding: .utf8)
            let line = try #require(stat.split(separator: "\n").first { $0.hasPrefix("total_inactive_file ") })
            let inactive = try #require(UInt64(line.split(separator: " ")[1]))
            return inactive < usage ? usage - inactive : usage
        }

        // Compared from the allocation loop on: while Python starts it reads its modules into page cache in bursts,
        // and two files read one after the other (usage, then memory.stat) can straddle a burst by more than the
        // tolerance, ours and the full reads alike (seen once in CI on a loaded machine, at 0.5 MB in use).
        let loopBegan = ContinuousClock.now + .seconds(20)
        while try fullRead() < 8 << 20, ContinuousClock.now < loopBegan { try await Task.sleep(for: .milliseconds(20)) }
        let (collector, sink) = makeCollector(watching: process.processIdentifier, id: String(repeating: "d", count: 64))
        var compared = 0
        for _ in 0..<30 {
            let before = try fullRead()
            collector.tick()
            let after = try fullRead()
            let ours = try #require(sink.last.first).memoryUsage
            let low = Double(min(before, after)) * 0.99 - 65536, high = Double(max(before, after)) * 1.01 + 65536
            #expect(Double(ours) >= low && Double(ours) <= high, "ours \(ours), full reads \(before) and \(after)")
            compared += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(compared == 30)
        #expect(try fullRead() > 60 << 20, "the process allocated along the way")
        // On a disk-backed /tmp the written pages are inactive file pages (on tmpfs they would be shmem, on the
        // anon lists, and the test would prove nothing: then it fails here).
        let stat = try String(contentsOfFile: memory + "/memory.stat", encoding: .utf8)
        let inactiveFile = stat.split(separator: "\n").first { $0.hasPrefix("total_inactive_file ") }
            .flatMap { UInt64($0.split(separator: " ")[1]) } ?? 0
        #expect(inactiveFile > 40 << 20, "the process filled page cache along the way (inactive_file \(inactiveFile) bytes)")
    }
}
