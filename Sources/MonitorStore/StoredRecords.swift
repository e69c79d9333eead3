import CByteSearch
import Glibc
import MonitorCore
import NIOCore

/// Which stored records a history query wants. Containers are matched on the lines' own fields, so the
/// history of a container that is gone (or of a previous run) is found by its id, id prefix or name.
public struct StoredRecordFilter: Sendable {
    public var sinceNanos: Int64
    /// Exact container ids (a live container the query resolved).
    public var containerID: String?
    /// A name, or an id prefix of at least 3 characters, for a container memory no longer knows.
    public var containerNameOrPrefix: String?
    public var serviceName: String?
    public var level: String?
    /// Per container id: from this time on, memory holds that container's records (the files' copies are
    /// skipped, memory answers with them).
    public var inMemorySince: [String: Int64] = [:]
    /// From this time on, memory holds every record (the alert log).
    public var allInMemorySince: Int64?
    /// The containers the caller may see (a token's claims): lines of others are skipped.
    public var visibility = ContainerVisibility.all

    public init(
        sinceNanos: Int64, containerID: String? = nil, containerNameOrPrefix: String? = nil, serviceName: String? = nil,
        level: String? = nil
    ) {
        self.sinceNanos = sinceNanos
        self.containerID = containerID
        self.containerNameOrPrefix = containerNameOrPrefix
        self.serviceName = serviceName
        self.level = level
    }
}

/// One stored record: its time and its JSON line (without the newline), exactly as written.
public struct StoredRecord: Sendable {
    public var timestampNanos: Int64
    public var line: ByteBuffer

    public init(timestampNanos: Int64, line: ByteBuffer) {
        self.timestampNanos = timestampNanos
        self.line = line
    }
}

/// The stored records of one prefix that match a filter, newest first, read lazily from the files: a caller
/// that wants 1,000 records reads as many chunks as those take, a streaming export never holds more than a
/// chunk. Lines that do not parse (a torn line, foreign text) are skipped.
public final class StoredRecords: StoredRecordReader {
    private let cursor: HistoryCursor
    private let matcher: StoredRecordMatcher
    /// `"container_id":"<id>"` when the filter names one container: lines without it are never looked at.
    private let needle: [UInt8]?
    /// Offsets in `chunk` where `needle` occurs, found in one pass per chunk; walked from the last.
    private var hits: [Int] = []
    private var chunk = ByteBuffer()
    /// Bytes of `chunk` before this offset (from its reader index) are still to walk, backwards.
    private var end = 0

    public init(directory: String, prefix: String, filter: StoredRecordFilter) {
        cursor = HistoryCursor(directory: directory, prefix: prefix, sinceNanos: filter.sinceNanos)
        matcher = StoredRecordMatcher(filter)
        needle = filter.containerID.map { Array("\"container_id\":\"\($0)\"".utf8) }
    }

    /// The next matching record, newest first; nil when the window is exhausted.
    public func next() -> StoredRecord? {
        while true {
            if end == 0 {
                guard let next = cursor.nextChunk() else { return nil }
                chunk = next
                // Drop a torn tail (no newline): a crash mid-write.
                end = chunk.withUnsafeReadableBytes { Lines.completeEnd($0) }
                if let needle { findHits(of: needle) }
                continue
            }
            let found: (Int, Int, Int64)? = chunk.withUnsafeReadableBytes { raw in
                if needle != nil {
                    // Only the lines that contain the container's id, newest first.
                    while let hit = hits.popLast() {
                        guard hit < end else { continue }
                        let newline = hit > 0 ? wd_memrchr(raw.baseAddress!, Int32(UInt8(ascii: "\n")), hit) : nil
                        let start = newline.map { raw.baseAddress!.distance(to: $0) + 1 } ?? 0
                        guard let newlineAfter = memchr(raw.baseAddress! + hit, Int32(UInt8(ascii: "\n")), end - hit) else { continue }
                        let lineEnd = raw.baseAddress!.distance(to: newlineAfter)
                        end = start
                        let line = HistoryLine(UnsafeRawBufferPointer(rebasing: raw[start..<lineEnd]))
                        if let time = matcher.accept(line) { return (start, lineEnd - start, time) }
                    }
                    end = 0
                    return nil
                }
                while end > 0 {
                    let lineEnd = end - 1
                    let newline = lineEnd > 0 ? wd_memrchr(raw.baseAddress!, Int32(UInt8(ascii: "\n")), lineEnd) : nil
                    let start = newline.map { raw.baseAddress!.distance(to: $0) + 1 } ?? 0
                    end = start
                    guard lineEnd > start else { continue }
                    let line = HistoryLine(UnsafeRawBufferPointer(rebasing: raw[start..<lineEnd]))
                    if let time = matcher.accept(line) { return (start, lineEnd - start, time) }
                }
                return nil
            }
            if let (start, length, time) = found {
                return StoredRecord(timestampNanos: time, line: chunk.getSlice(at: chunk.readerIndex + start, length: length)!)
            }
        }
    }

    private func findHits(of needle: [UInt8]) {
        hits.removeAll(keepingCapacity: true)
        chunk.withUnsafeReadableBytes { raw in
            needle.withUnsafeBytes { n in
                var offset = 0
                while offset < end, let found = wd_memmem(raw.baseAddress! + offset, end - offset, n.baseAddress!, n.count) {
                    let at = raw.baseAddress!.distance(to: found)
                    hits.append(at)
                    offset = at + n.count
                }
            }
        }
    }
}

/// `StoredRecordFilter`'s rules on one line's bytes, the filter's strings turned into bytes once: the one test
/// both the files' reader and the memory store apply (and any other `HistoryStore` should).
public struct StoredRecordMatcher {
    private let filter: StoredRecordFilter
    private let containerID: [UInt8]?
    private let nameOrPrefix: [UInt8]?
    private let idPrefixAllowed: Bool
    private let serviceName: [UInt8]?
    private let level: [UInt8]?
    private let inMemory: [(id: [UInt8], since: Int64)]
    private let inMemoryFrom: Int64

    public init(_ filter: StoredRecordFilter) {
        self.filter = filter
        containerID = filter.containerID.map { Array($0.utf8) }
        nameOrPrefix = filter.containerNameOrPrefix.map { Array($0.utf8) }
        // ContainerReference's rule on the line's bytes: its name, or (long enough) a prefix of its id.
        idPrefixAllowed = filter.containerNameOrPrefix.map { ContainerReference($0).mayBeIDPrefix } ?? false
        serviceName = filter.serviceName.map { Array($0.utf8) }
        level = filter.level.map { Array($0.utf8) }
        inMemory = filter.inMemorySince.map { (Array($0.key.utf8), $0.value) }
        inMemoryFrom = min(filter.allInMemorySince ?? .max, inMemory.map(\.since).min() ?? .max)
    }

    private func truncated(_ nanos: Int64, _ resolution: Int64) -> Int64 {
        nanos == .max ? .max : nanos - nanos % resolution
    }

    /// The line's time when it matches the filter, nil when not.
    public func accept(_ line: HistoryLine) -> Int64? {
        guard line.isWhole, let (time, resolution) = line.timestamp, time >= filter.sinceNanos else { return nil }
        if let containerID, !line.has(.containerID, equalTo: containerID) { return nil }
        if let nameOrPrefix, !line.has(.containerName, equalTo: nameOrPrefix),
            !(idPrefixAllowed && line.has(.containerID, prefix: nameOrPrefix))
        {
            return nil
        }
        if let serviceName, !line.has(.serviceName, equalTo: serviceName) { return nil }
        if let level, !line.has(.level, equalTo: level) { return nil }
        if !filter.visibility.isAll {
            // (Strings made only for a restricted caller.)
            func text(_ pattern: FieldPattern) -> String? { line.stringValue(pattern).map { String(decoding: $0, as: UTF8.self) } }
            guard let id = text(.containerID),
                filter.visibility.sees(id: id, name: text(.containerName) ?? "", service: text(.serviceName))
            else { return nil }
        }
        // Memory's copy of a record has the full time; the file's is truncated to `resolution`.
        if time >= truncated(inMemoryFrom, resolution) {
            if let all = filter.allInMemorySince, time >= truncated(all, resolution) { return nil }
            for held in inMemory where time >= truncated(held.since, resolution) && line.has(.containerID, equalTo: held.id) {
                return nil
            }
        }
        return time
    }
}
