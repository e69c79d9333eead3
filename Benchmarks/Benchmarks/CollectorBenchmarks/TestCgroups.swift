import Foundation
import Glibc
import MonitorCore

/// N real cgroups under a dedicated parent (`wakedock-bench-<pid>`) in every v1 controller (or in the v2
/// tree), each holding one real `sleep` process, so that every counter file has real content and
/// /proc/<pid>/net/dev is a real read. Removed (processes killed, folders rmdir'ed) by `remove()`.
final class TestCgroups {
    let layout: CgroupLayout
    let parent = "/wakedock-bench-\(getpid())"
    private(set) var targets: [CollectionTarget] = []
    private var pids: [pid_t] = []

    init(count: Int) throws {
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        layout = try CgroupLayout.detect(root: "/sys/fs/cgroup", mountinfo: mountinfo)
        for dir in hierarchies() { try makeDirectory(dir + parent) }
        for i in 0..<count {
            let relative = parent + "/c\(i)"
            for dir in hierarchies() { try makeDirectory(dir + relative) }
            let pid = try spawnSleep()
            pids.append(pid)
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

    private func spawnSleep() throws -> pid_t {
        var pid: pid_t = 0
        let args = ["/bin/sleep", "3600"]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, "/bin/sleep", nil, nil, &argv, environ)
        guard rc == 0 else { throw NSError(domain: "TestCgroups", code: Int(rc)) }
        return pid
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
    }
}
