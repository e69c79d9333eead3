import Foundation
import Logging

/// What the store does to its directory at start and once a day: repair a torn last line left by a crash, and
/// delete files older than the retention.
public enum FileMaintenance {
    /// `metrics_2025-01-16.jsonl`, `alerts_2025-01-16.3.jsonl.gz` … → the file's UTC day number.
    static func day(ofFileNamed name: String) -> Int64? {
        guard name.hasPrefix("metrics_") || name.hasPrefix("alerts_") else { return nil }
        guard name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz") else { return nil }
        let afterPrefix = name.drop(while: { $0 != "_" }).dropFirst()
        let date = afterPrefix.prefix(10)
        let parts = date.split(separator: "-")
        guard date.count == 10, parts.count == 3, let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        return daysFromCivil(year: y, month: m, day: d)
    }

    /// Howard Hinnant's days-from-civil (inverse of the encoder's civil-from-days).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Deletes history files whose day is more than `retentionDays` before `today`. Returns their names.
    @discardableResult
    public static func applyRetention(directory: String, retentionDays: Int, today: Int64, logger: Logger) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var deleted: [String] = []
        for name in names.sorted() {
            guard let day = day(ofFileNamed: name), day < today - Int64(retentionDays) else { continue }
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
        for name in names where name.hasSuffix(".jsonl") && day(ofFileNamed: name) != nil {
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
