import Foundation
import Glibc
import MonitorCore

/// N real cgroups under a dedicated parent (`wakedock-bench-<pid>`) in every v1 controller (or in the v2
/// tree), each holding one real `sleep` process, so that every counter file has real content. Each process
/// has a network namespace of its own whose `eth0` is a veth to a test bridge, as a Docker container on a
/// bridge network has: /proc/<pid>/net/dev is the namespace's real read, and the host side has one veth per
/// container. Removed (processes killed, which removes their namespaces and veths, folders rmdir'ed, the
/// bridge deleted) by `remove()`.
final class TestCgroups {
    let layout: CgroupLayout
    let parent = "/wakedock-bench-\(getpid())"
    let bridge = "wdbr\(getpid() % 100_000)"
    private(set) var targets: [CollectionTarget] = []
    private var pids: [pid_t] = []

    init(count: Int) throws {
        try Self.command("/usr/sbin/ip", "link", "add", bridge, "type", "bridge")
        try Self.command("/usr/sbin/ip", "link", "set", bridge, "up")
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        layout = try CgroupLayout.detect(root: "/sys/fs/cgroup", mountinfo: mountinfo)
        for dir in hierarchies() { try makeDirectory(dir + parent) }
        for i in 0..<count {
            let relative = parent + "/c\(i)"
            for dir in hierarchies() { try makeDirectory(dir + relative) }
            let pid = try spawnSleep()
            pids.append(pid)
            // As Docker does it: both ends made here, one moved into the namespace (it keeps its index).
            let veth = "wdb\(getpid() % 1000)x\(i)", inside = "wdb\(getpid() % 1000)y\(i)"
            try Self.command("/usr/sbin/ip", "link", "add", veth, "type", "veth", "peer", "name", inside)
            try Self.command("/usr/sbin/ip", "link", "set", inside, "netns", "\(pid)")
            try Self.command("/usr/sbin/ip", "link", "set", veth, "master", bridge, "up")
            try Self.command("/usr/bin/nsenter", "-t", "\(pid)", "-n", "/usr/sbin/ip", "link", "set", inside, "up")
            for dir in hierarchies() {
                try "\(pid)\n".write(toFile: dir + relative + "/cgroup.procs", atomically: false, encoding: .utf8)
            }
            let id = String(format: "%064x", i + 1)
            targets.append(CollectionTarget(identity: ContainerIdentity(id: id, name: "bench-\(i)"), pid: pid, cgroupPath: relative))
        }
    }

    private func hierarchies() -> [String] {
        if layout.mode == .v2 { return [layout.root] }
        return ["memory", "cpuacct", "cpu", "pids", "blkio"].compactMap { layout.controllers[$0] }
            + (layout.unified.map { [$0] } ?? [])
    }

    private func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw NSError(domain: "TestCgroups", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "mkdir \(path): needs root"])
        }
    }

    /// `sleep` in a network namespace of its own (unshare execs it: the pid is the sleep's).
    private func spawnSleep() throws -> pid_t {
        var pid: pid_t = 0
        let args = ["/usr/bin/unshare", "--net", "/bin/sleep", "3600"]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, args[0], nil, nil, &argv, environ)
        guard rc == 0 else { throw NSError(domain: "TestCgroups", code: Int(rc)) }
        // Until unshare has exec'd, /proc/<pid>/ns/net is still ours.
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        for _ in 0..<1000 {
            if let theirs = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net"), theirs != own {
                return pid
            }
            usleep(1000)
        }
        throw NSError(domain: "TestCgroups", code: 1, userInfo: [NSLocalizedDescriptionKey: "unshare --net did not take"])
    }

    private static func command(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "TestCgroups", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "failed: \(arguments.joined(separator: " "))"])
        }
    }

    func remove() {
        for pid in pids {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        pids = []
        usleep(50_000)
        for dir in hierarchies() {
            for i in 0..<targets.count { rmdir(dir + parent + "/c\(i)") }
            rmdir(dir + parent)
        }
        try? Self.command("/usr/sbin/ip", "link", "del", bridge)
    }
}
