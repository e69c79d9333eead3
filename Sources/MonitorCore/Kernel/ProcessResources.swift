import Glibc

/// This process's own use of the machine, as the kernel counts it.
public enum ProcessResources {
    /// Resident set size, from `/proc/self/statm` (its second field, in pages); 0 when it cannot be read.
    public static func residentSetBytes() -> UInt64 {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 128)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        let fields = bytes[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = UInt64(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages &* UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
