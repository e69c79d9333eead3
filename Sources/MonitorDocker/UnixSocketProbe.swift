import Glibc
import MonitorCore

/// Whether something listens on a Unix socket path: one connect(2), closed at once. Cheap enough to ask every
/// quarter second while Docker is away, so that discovery reconnects as soon as dockerd is back, however long
/// it was gone.
enum UnixSocketProbe {
    static func accepts(_ path: String) -> Bool {
        // Non-blocking: a listener whose backlog is full answers EAGAIN at once instead of holding this thread.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        // A full backlog (EAGAIN) still means a listener is there.
        return result == 0 || errno == EAGAIN || errno == EINPROGRESS
    }
}
