import Glibc
import NIOCore

/// Appends to `<directory>/<prefix>_YYYY-MM-DD.jsonl`, switching file when the UTC day changes. Opened with
/// O_APPEND so that every flush lands at the end even if another process trimmed the file.
final class DailyJSONLFile {
    let directory: String
    let prefix: String
    private var fd: Int32 = -1
    private var day: Int64 = -1

    init(directory: String, prefix: String) {
        self.directory = directory
        self.prefix = prefix
    }

    deinit { if fd >= 0 { close(fd) } }

    static func dayNumber(nanos: Int64) -> Int64 { nanos / 86_400_000_000_000 }

    static func dateString(day: Int64) -> String {
        var b = ByteBuffer()
        b.writeRFC3339Date(day: day)
        return String(buffer: b)
    }

    func path(day: Int64) -> String { "\(directory)/\(prefix)_\(Self.dateString(day: day)).jsonl" }

    /// Writes all of `bytes` to the file of `day`. Throws the errno on failure (nothing partial is retried
    /// twice: the caller keeps what was not written).
    func write(_ bytes: ByteBuffer, day: Int64) throws(StoreError) {
        if day != self.day || fd < 0 {
            if fd >= 0 { close(fd) }
            fd = -1
            mkdirParents(directory)
            let opened = open(path(day: day), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard opened >= 0 else { throw StoreError(errno: errno, operation: "open \(path(day: day))") }
            fd = opened
            self.day = day
        }
        var remaining = bytes
        while remaining.readableBytes > 0 {
            let n = remaining.withUnsafeReadableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = StoreError(errno: errno, operation: "write \(path(day: day))")
                close(fd)
                fd = -1  // reopen next time: the directory may have been deleted or remounted
                throw error
            }
            remaining.moveReaderIndex(forwardBy: n)
        }
    }

    private func mkdirParents(_ path: String) {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            mkdir(partial, 0o755)
        }
    }
}

public struct StoreError: Error, CustomStringConvertible {
    public let errno: Int32
    public let operation: String
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

extension ByteBuffer {
    /// "YYYY-MM-DD" of a day number since the epoch.
    mutating func writeRFC3339Date(day: Int64) {
        var full = ByteBuffer()
        full.writeRFC3339(nanos: day * 86_400_000_000_000, precision: .seconds)
        writeBytes(full.readableBytesView.prefix(10))
    }
}
