import Foundation
import Logging
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

    /// Truncates each plain history file after its last complete line (a crash may have left half a line).
    /// Returns the names of the files repaired.
    @discardableResult
    public static func repairTornLines(directory: String, logger: Logger) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var repaired: [String] = []
        for name in names where HistoryFileName(name)?.kind == .plain {
            let path = directory + "/" + name
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            let size = lseek(fd, 0, SEEK_END)
            guard size > 0 else { continue }
            // Look back for the last newline, a window at a time.
            var end = size
            var keep: off_t = 0
            var found = false
            var window = [UInt8](repeating: 0, count: 65_536)
            while end > 0 && !found {
                let start = max(0, end - off_t(window.count))
                let n = window.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(end - start), start) }
                guard n > 0 else { break }
                if let last = window[0..<n].lastIndex(of: UInt8(ascii: "\n")) {
                    keep = start + off_t(last) + 1
                    found = true
                }
                end = start
            }
            guard keep < size else { continue }
            if ftruncate(fd, keep) == 0 {
                repaired.append(name)
                logger.warning(
                    "torn last line removed from history file", metadata: ["file": "\(name)", "bytes": "\(size - keep)"])
            }
        }
        return repaired
    }
}
