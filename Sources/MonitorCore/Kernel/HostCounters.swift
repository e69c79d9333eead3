import Foundation
import CSupport

/// Host-wide numbers a sample needs: total memory (the limit of an unlimited container) and the host's CPU
/// time (`cpu_system_usage`). /proc/stat stays open and is re-read once per tick.
public final class HostCounters {
    public let memTotalBytes: UInt64
    public let onlineCPUs: Int
    private let statFD: Int32
    private let nanosPerTick: UInt64

    public init(procRoot: String) {
        memTotalBytes = Self.readMemTotal(procRoot: procRoot) ?? 0
        var cpus = 0
        if let text = try? String(contentsOfFile: procRoot + "/stat", encoding: .utf8) {
            cpus = text.split(separator: "\n").filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count
        }
        onlineCPUs = max(cpus, 1)
        statFD = wd_open_ro(procRoot + "/stat")
        let hz = UInt64(max(wd_clock_ticks_per_second(), 1))
        nanosPerTick = 1_000_000_000 / hz
    }

    deinit { wd_close(statFD) }

    /// The host's CPU time in nanoseconds, summed as Docker does; 0 when /proc/stat cannot be read.
    func systemCPUNanos(buffer: UnsafeMutableRawBufferPointer) -> UInt64 {
        let base = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        // Only the first line matters; the rest of /proc/stat (per-CPU lines, the long "intr" line) can be
        // tens of KiB on a large host. One short read is enough and never overflows the buffer.
        let n = wd_pread_all(statFD, base, min(buffer.count, 1024))
        guard n > 0 else { return 0 }
        var ticks: UInt64 = 0
        guard wd_parse_proc_stat_cpu(base, Int(n), &ticks) == 0 else { return 0 }
        return ticks &* nanosPerTick
    }

    private static func readMemTotal(procRoot: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: procRoot + "/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let digits = line.dropFirst("MemTotal:".count).filter(\.isNumber)
            if let kib = UInt64(digits) { return kib * 1024 }
        }
        return nil
    }
}
