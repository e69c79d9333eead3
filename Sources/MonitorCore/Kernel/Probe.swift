import CSupport
import Glibc

/// One container's open counter files. Opened once when the container is discovered, re-read every tick
/// with pread at offset 0 (through CSupport), closed when the container goes away.
///
/// Not thread-safe: owned by the collector, used only on its tick.
public final class Probe {
    var raw = wd_probe()
    public let directories: CgroupLayout.ContainerDirectories
    /// The process whose /proc/<pid>/net/dev gives the container's network counters.
    public private(set) var pid: Int32?
    private let procRoot: String

    /// Opens every counter file that exists for these directories. Missing files (a controller that is not
    /// mounted, PSI on an old kernel) leave their slot closed; the corresponding fields stay 0.
    public init(directories: CgroupLayout.ContainerDirectories, version: Int32, pid: Int32?, procRoot: String) {
        self.directories = directories
        self.procRoot = procRoot
        wd_probe_init(&raw, version)
        let d = directories
        if version == 1 {
            open(WD_F_CPU_USAGE, d.cpuacct, "cpuacct.usage")
            open(WD_F_CPU_STAT, d.cpu, "cpu.stat")
            open(WD_F_MEM_USAGE, d.memory, "memory.usage_in_bytes")
            open(WD_F_MEM_LIMIT, d.memory, "memory.limit_in_bytes")
            open(WD_F_MEM_STAT, d.memory, "memory.stat")
            open(WD_F_MEM_FAILCNT, d.memory, "memory.failcnt")
            open(WD_F_MEM_OOM, d.memory, "memory.oom_control")
            open(WD_F_PIDS, d.pids, "pids.current")
            open(WD_F_BLKIO, d.blkio, "blkio.throttle.io_service_bytes")
        } else {
            open(WD_F_CPU_USAGE, d.unified, "cpu.stat")
            open(WD_F_MEM_USAGE, d.unified, "memory.current")
            open(WD_F_MEM_LIMIT, d.unified, "memory.max")
            open(WD_F_MEM_STAT, d.unified, "memory.stat")
            open(WD_F_MEM_FAILCNT, d.unified, "memory.events")
            open(WD_F_PIDS, d.unified, "pids.current")
            open(WD_F_BLKIO, d.unified, "io.stat")
        }
        // PSI lives in the cgroup2 tree, also on hybrid hosts.
        open(WD_F_PSI_CPU, d.unified, "cpu.pressure")
        open(WD_F_PSI_MEM, d.unified, "memory.pressure")
        open(WD_F_PSI_IO, d.unified, "io.pressure")
        attachNetwork(pid: pid)
    }

    deinit { wd_probe_close(&raw) }

    private func open(_ kind: wd_file_kind, _ dir: String?, _ file: String) {
        guard let dir else { return }
        _ = wd_probe_open(&raw, kind, dir + "/" + file)
    }

    /// The descriptors this probe keeps open (for diagnostics, and for the benchmark's raw-read floor).
    public var openDescriptors: [Int32] {
        withUnsafeBytes(of: raw.fd) { Array($0.bindMemory(to: Int32.self)) }.filter { $0 >= 0 }
    }

    public func isOpen(_ kind: wd_file_kind) -> Bool { descriptor(kind) != nil }

    /// The descriptor kept for one file, if it is open (the benchmark's six-file floor picks them).
    public func descriptor(_ kind: wd_file_kind) -> Int32? {
        let fd = withUnsafeBytes(of: raw.fd) { $0.load(fromByteOffset: Int(kind.rawValue) * MemoryLayout<Int32>.stride, as: Int32.self) }
        return fd >= 0 ? fd : nil
    }

    /// Points the network slot at /proc/<pid>/net/dev (nil closes it).
    @discardableResult
    public func attachNetwork(pid: Int32?) -> Bool {
        self.pid = pid
        guard let pid, pid > 0 else {
            wd_probe_close_kind(&raw, WD_F_NETDEV)
            return false
        }
        return wd_probe_open(&raw, WD_F_NETDEV, "\(procRoot)/\(pid)/net/dev") == 0
    }

    /// Closes the network file but keeps the pid: the counters come from the host side now.
    public func detachNetworkFile() {
        wd_probe_close_kind(&raw, WD_F_NETDEV)
    }

    /// A live pid of the container, from its cgroup's `cgroup.procs` (for when the one we had exited).
    public func findLivePid() -> Int32? {
        let dir = directories.memory ?? directories.unified ?? directories.pids
        guard let dir else { return nil }
        let fd = wd_open_ro(dir + "/cgroup.procs")
        guard fd >= 0 else { return nil }
        defer { wd_close(fd) }
        // Only the first pid matters: one read of the start of the file (a busy container's list is longer
        // than any buffer, which wd_pread_all would refuse whole).
        var buf = [CChar](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBufferPointer { Glibc.pread(fd, $0.baseAddress, $0.count - 1, 0) }
        guard n > 0 else { return nil }
        var value: UInt64 = 0
        let rc = buf.withUnsafeBufferPointer { wd_parse_u64($0.baseAddress, Int(n), &value) }
        return rc == 0 && value > 0 && value < UInt64(Int32.max) ? Int32(value) : nil
    }

    /// Reads the files in `mask` into `out`. Returns the number of files that failed.
    @inline(__always)
    func read(mask: UInt32, into out: inout wd_raw, buffer: UnsafeMutableRawBufferPointer) -> Int32 {
        wd_probe_read(&raw, mask, &out, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)
    }
}

extension wd_file_kind {
    /// This file's bit in a read mask (C's WD_MASK, which Swift cannot import).
    @inline(__always) public var bit: UInt32 { 1 << rawValue }
    /// Every file of a probe.
    public static var allBits: UInt32 { (1 << WD_F_COUNT.rawValue) - 1 }
}
