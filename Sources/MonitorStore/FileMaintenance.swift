import Foundation
import Logging
import NIOCore
import Synchronization

/// What the store does to its directory at start and once a day: repair a torn last line left by a crash, and
/// delete files older than the retention.
public enum FileMaintenance {
    /// The history files of `prefix` in `directory` (compressed, plain and their indexes).
    static func historyFiles(directory: String, prefix: String) -> [HistoryFileName] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.compactMap { HistoryFileName($0) }.filter { $0.prefix == prefix }
    }

    /// Renames the open file of `day` to the day's next part number (`metrics_D.N.jsonl`); nil when there is
    /// nothing to close (missing or empty file) or the rename fails.
    static func closeAsPart(directory: String, prefix: String, day: Int64) -> HistoryFileName? {
        let open = HistoryFileName(prefix: prefix, day: day, part: nil, kind: .plain)
        var st = stat()
        guard stat(directory + "/" + open.name, &st) == 0 else { return nil }
        if st.st_size == 0 {
            unlink(directory + "/" + open.name)
            return nil
        }
        let used = historyFiles(directory: directory, prefix: prefix).filter { $0.day == day }.compactMap(\.part)
        var closed = open
        closed.part = (used.max() ?? 0) + 1
        guard rename(directory + "/" + open.name, directory + "/" + closed.name) == 0 else { return nil }
        return closed
    }

    /// Closes the open files of days before `today` and compresses every closed plain part, two at a time.
    /// Returns the bytes before and after compression. For tools (the benchmarks' history generator); the
    /// daemon does the same in the background.
    public static func compressClosedFiles(directory: String, today: Int64) -> (raw: Int, compressed: Int) {
        let files = leftovers(directory: directory, today: today)
        let totals = Mutex((0, 0))
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            if let (raw, compressed) = try? GzipHistoryFile.compress(plainPath: directory + "/" + files[i].name) {
                totals.withLock { $0 = ($0.0 + raw, $0.1 + compressed) }
            }
        }
        return totals.withLock { $0 }
    }

    /// What a previous run left to finish: open files of past days are closed as parts, and every closed
    /// plain part (compression interrupted or never started) is returned for compression. Half-written
    /// `.gz.tmp` files are removed.
    static func leftovers(directory: String, today: Int64) -> [HistoryFileName] {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for name in names where name.hasSuffix(".jsonl.gz.tmp") { unlink(directory + "/" + name) }
        }
        var toCompress: [HistoryFileName] = []
        for prefix in HistoryFileName.prefixes {
            for file in historyFiles(directory: directory, prefix: prefix) where file.kind == .plain {
                if file.part == nil {
                    if file.day < today, let closed = closeAsPart(directory: directory, prefix: prefix, day: file.day) {
                        toCompress.append(closed)
                    }
                } else {
                    toCompress.append(file)
                }
            }
        }
        return toCompress.sorted { $0.timeOrder < $1.timeOrder }
    }

    /// Deletes history files whose day is more than `retentionDays` before `today`. Returns their names.
    @discardableResult
    public static func applyRetention(directory: String, retentionDays: Int, today: Int64, logger: Logger) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var deleted: [String] = []
        for name in names.sorted() {
            guard let day = HistoryFileName(name)?.day, day < today - Int64(retentionDays) else { continue }
            if unlink(directory + "/" + name) == 0 {
                deleted.append(name)
            } else {
                logger.warning("cannot delete expired history file", metadata: ["file": "\(name)", "errno": "\(errno)"])
            }
        }
        if !deleted.isEmpty {
            logger.info("expired history deleted", metadata: ["files": "\(deleted.count)", "retention_days": "\(retentionDays)"])
        }
        return deleted
    }

    /// Makes every plain history file hold whole lines only: a crash may have left half a line at the end, and
    /// a failed write in an older build could leave a torn line in the middle. A torn tail is cut off; a file
    /// with a bad line elsewhere is rewritten without it (to a temporary file, then renamed over). Returns the
    /// names of the files repaired.
    @discardableResult
    public static func repairTornLines(directory: String, logger: Logger) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var repaired: [String] = []
        for name in names where HistoryFileName(name)?.kind == .plain {
            let path = directory + "/" + name
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard let contents = readAll(fd), !contents.isEmpty else { continue }
            let (goodEnd, badLines, keptBytes) = contents.withUnsafeBytes { scan($0) }
            if badLines == 0 {
                guard goodEnd < contents.count, ftruncate(fd, off_t(goodEnd)) == 0 else { continue }
                repaired.append(name)
                logger.warning("torn last line removed from history file", metadata: ["file": "\(name)", "bytes": "\(contents.count - goodEnd)"])
                continue
            }
            // Bad lines in the middle: write the whole ones to a new file and put it in place.
            let temporary = path + ".repair"
            let out = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, StorageDirectory.fileMode)
            guard out >= 0 else { continue }
            var kept = ByteBuffer()
            kept.reserveCapacity(keptBytes)
            contents.withUnsafeBytes { raw in forEachLine(raw) { line, whole in if whole { kept.writeBytes(line); kept.writeInteger(UInt8(ascii: "\n")) } } }
            let written = (try? writeAll(out, kept, path: temporary)) != nil && fsync(out) == 0
            close(out)
            guard written, rename(temporary, path) == 0 else {
                unlink(temporary)
                continue
            }
            repaired.append(name)
            logger.warning(
                "torn lines removed from history file",
                metadata: ["file": "\(name)", "lines": "\(badLines)", "bytes": "\(contents.count - kept.readableBytes)"])
        }
        return repaired
    }

    private static func readAll(_ fd: Int32) -> [UInt8]? {
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            offset += n
        }
        return bytes
    }

    /// Calls `body` with each line (newline excluded) and whether it is a whole record; a last line without its
    /// newline is never whole.
    static func forEachLine(_ raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Bool) -> Void) {
        guard let base = raw.baseAddress else { return }
        var start = 0
        while start < raw.count {
            guard let newline = memchr(base + start, Int32(UInt8(ascii: "\n")), raw.count - start) else {
                body(UnsafeRawBufferPointer(rebasing: raw[start...]), false)
                return
            }
            let end = base.distance(to: UnsafeRawPointer(newline))
            let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            body(line, HistoryLine(line).isWhole)
            start = end + 1
        }
    }

    /// Where the whole lines end if only the tail is bad, how many bad lines come before it, and the bytes of
    /// the whole lines.
    private static func scan(_ raw: UnsafeRawBufferPointer) -> (goodEnd: Int, badLines: Int, keptBytes: Int) {
        var offset = 0
        var goodEnd = 0
        var badLines = 0
        var pendingBad = 0  // bad lines since the last whole one: only those before a whole line count
        var kept = 0
        forEachLine(raw) { line, whole in
            let next = offset + line.count + 1
            if whole {
                badLines += pendingBad
                pendingBad = 0
                goodEnd = min(next, raw.count)
                kept += line.count + 1
            } else if !line.isEmpty || next > raw.count {
                pendingBad += 1
            }
            offset = next
        }
        return (goodEnd, badLines, kept)
    }
}
