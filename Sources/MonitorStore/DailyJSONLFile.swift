import Glibc
import NIOCore

/// Appends to `<directory>/<prefix>_YYYY-MM-DD.jsonl`, switching file when the UTC day changes and closing
/// the file as a numbered part (`<prefix>_YYYY-MM-DD.N.jsonl`) when it would grow past `maxBytes` or when
/// its day is over. Closed parts are handed to `onClose` (the store compresses them).
///
/// The file is opened for each flush (O_APPEND) and closed after it: two system calls per flush, and in return
/// nothing is held open between flushes, so a deleted file or directory is simply created again, an operator
/// can remount the filesystem, and a trimmed or moved file never receives lines meant for another.
final class DailyJSONLFile {
    let directory: String
    let prefix: String
    let maxBytes: Int
    private let onClose: (HistoryFileName) -> Void
    /// The day last written, and the size its file had after that write.
    private var day: Int64 = -1
    private var size = 0
    /// A file left ending in part of a line by a failed write whose clean-up failed too: cut back to this size
    /// before anything else is appended to it.
    private var pendingCut: (path: String, size: Int)?

    init(directory: String, prefix: String, maxBytes: Int, onClose: @escaping (HistoryFileName) -> Void) {
        self.directory = directory
        self.prefix = prefix
        self.maxBytes = maxBytes
        self.onClose = onClose
    }

    static func dayNumber(nanos: Int64) -> Int64 { nanos / 86_400_000_000_000 }

    static func dateString(day: Int64) -> String {
        var b = ByteBuffer()
        b.writeRFC3339Date(day: day)
        return String(buffer: b)
    }

    func path(day: Int64) -> String { directory + "/" + HistoryFileName(prefix: prefix, day: day, part: nil, kind: .plain).name }

    /// A write that stopped part-way: the first `kept` bytes of the buffer are in the file as whole lines (any
    /// part of a line after them was cut off again); the rest is for the caller to keep and retry.
    struct PartialWrite: Error {
        let error: StoreError
        let kept: Int
    }

    /// Writes all of `bytes` (whole lines) to the file of `day`. On failure the file still ends with a whole
    /// line — a line the disk took only part of is cut off — and the error says how many bytes are in, so that
    /// a retry neither repeats nor splits a line. Returns true when a file written before had disappeared
    /// (deleted, with its directory perhaps) and was created anew.
    @discardableResult
    func write(_ bytes: ByteBuffer, day: Int64) throws(PartialWrite) -> Bool {
        if self.day >= 0, day != self.day {
            // The previous day is over: its file is closed for good — cut back to its last whole line first if a
            // failed write left part of one (best effort: readers skip a torn line anyway).
            if let cut = pendingCut, cut.path == path(day: self.day) {
                let fd = Glibc.open(cut.path, O_WRONLY | O_CLOEXEC)
                if fd >= 0 {
                    _ = ftruncate(fd, off_t(cut.size))
                    close(fd)
                }
                pendingCut = nil
            }
            closePart(day: self.day)
            size = 0
        }
        var (fd, currentSize) = try open(day: day)
        if let cut = pendingCut, cut.path == path(day: day), currentSize > cut.size {
            guard ftruncate(fd, off_t(cut.size)) == 0 else {
                let error = StoreError(errno: errno, operation: "truncate \(cut.path)")
                close(fd)
                throw PartialWrite(error: error, kept: 0)
            }
            currentSize = cut.size
        }
        pendingCut = nil
        let recreated = self.day == day && size > 0 && currentSize == 0
        if currentSize > 0, currentSize + bytes.readableBytes > maxBytes {
            close(fd)
            closePart(day: day)
            (fd, currentSize) = try open(day: day)
        }
        defer { close(fd) }
        self.day = day
        let (written, failure) = writeAsMuchAsPossible(fd, bytes, path: path(day: day))
        guard let failure else {
            size = currentSize + bytes.readableBytes
            return recreated
        }
        // Keep the whole lines that made it; cut the part of a line after them.
        let kept = bytes.withUnsafeReadableBytes { Lines.completeEnd(UnsafeRawBufferPointer(rebasing: $0[..<written])) }
        if kept < written, ftruncate(fd, off_t(currentSize + kept)) != 0 {
            pendingCut = (path(day: day), currentSize + kept)
        }
        size = currentSize + kept
        throw PartialWrite(error: failure, kept: kept)
    }

    /// The day's file, opened for appending, and its size. Nothing is written yet when this fails.
    private func open(day: Int64) throws(PartialWrite) -> (fd: Int32, size: Int) {
        do {
            return try openFile(day: day)
        } catch {
            throw PartialWrite(error: error, kept: 0)
        }
    }

    private func openFile(day: Int64) throws(StoreError) -> (fd: Int32, size: Int) {
        var fd = Glibc.open(path(day: day), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, StorageDirectory.fileMode)
        if fd < 0, errno == ENOENT {
            // The directory is gone (deleted under us): make it again, then retry once.
            mkdirParents(directory)
            fd = Glibc.open(path(day: day), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, StorageDirectory.fileMode)
        }
        guard fd >= 0 else { throw StoreError(errno: errno, operation: "open \(path(day: day))") }
        var st = stat()
        return (fd, fstat(fd, &st) == 0 ? Int(st.st_size) : 0)
    }

    /// Renames the day's open file to its next part number and hands it over for compression.
    private func closePart(day: Int64) {
        guard let closed = FileMaintenance.closeAsPart(directory: directory, prefix: prefix, day: day) else { return }
        onClose(closed)
    }

    private func mkdirParents(_ path: String) {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            mkdir(partial, StorageDirectory.directoryMode)
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
