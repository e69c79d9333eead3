import Dispatch
import Glibc
import NIOCore
import Synchronization

/// Reads the history files of one prefix from the newest line back to `sinceNanos`, a chunk of whole lines
/// at a time, so that a query for the last hour touches the end of today's files only:
/// - plain files are read backwards in 1 MiB blocks (a torn last line, left by a crash, is skipped);
/// - compressed files are read member by member from the last, using their index; a file without a usable
///   index is inflated whole (every member; a truncated end is cut off).
/// Reading stops after the first chunk that starts before `sinceNanos`: files are in time order.
public final class HistoryCursor {
    private enum Source {
        case plain(fd: Int32, position: Int)  // bytes before `position` are still to read
        case gzip(fd: Int32, members: [GzipHistoryFile.Member], next: Int)  // next member to inflate, -1 when done
        case gzipWhole(fd: Int32, size: Int)
    }

    let directory: String
    let sinceNanos: Int64
    /// Newest last: `popLast` gives the next file to read.
    private var files: [HistoryFileName]
    private var source: Source?
    /// A member inflated ahead (see `readFromSource`), returned next.
    private var prefetched: ByteBuffer?
    /// Chunks returned so far: after the first, the caller is scanning a long way back.
    private var chunksRead = 0
    private var finished = false
    static let blockBytes = 1 << 20

    public init(directory: String, prefix: String, sinceNanos: Int64) {
        self.directory = directory
        self.sinceNanos = sinceNanos
        let sinceDay = sinceNanos >= 0 ? sinceNanos / 86_400_000_000_000 : Int64.min
        let all = FileMaintenance.historyFiles(directory: directory, prefix: prefix)
        // A closed part may exist both plain and compressed while it is being compressed: read the plain one.
        let plainParts = Set(all.filter { $0.kind == .plain }.map { $0.with(kind: .gzip) })
        files = all
            .filter { $0.day >= sinceDay && $0.kind != .gzipIndex && !($0.kind == .gzip && plainParts.contains($0)) }
            .sorted { $0.timeOrder < $1.timeOrder }
    }

    deinit { closeSource() }

    /// The next chunk of whole lines (in file order; the caller walks it backwards), nil when done.
    public func nextChunk() -> ByteBuffer? {
        while !finished {
            if source == nil {
                guard let file = files.popLast() else { return nil }
                source = open(file)
                continue
            }
            guard let chunk = readFromSource() else {
                closeSource()
                continue
            }
            if chunk.readableBytes == 0 { continue }
            // The chunk's oldest line: once it is older than the window, nothing further back is needed.
            let first = chunk.withUnsafeReadableBytes { Lines.first($0).flatMap { HistoryLine($0).timestampNanos } }
            if let first, first < sinceNanos { finished = true }
            return chunk
        }
        return nil
    }

    private func open(_ file: HistoryFileName) -> Source? {
        let path = directory + "/" + file.name
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }  // deleted by retention meanwhile, or unreadable: skip it
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            return nil
        }
        let size = Int(st.st_size)
        switch file.kind {
        case .plain:
            return .plain(fd: fd, position: size)
        case .gzip:
            if let members = GzipHistoryFile.readIndex(gzPath: path, gzSize: size) {
                // Skip members entirely before the window.
                let members = members.filter { $0.lastNanos >= sinceNanos || $0.lastNanos == 0 }
                return .gzip(fd: fd, members: members, next: members.count - 1)
            }
            return .gzipWhole(fd: fd, size: size)
        case .gzipIndex:
            close(fd)
            return nil
        }
    }

    private func closeSource() {
        switch source {
        case .plain(let fd, _), .gzip(let fd, _, _), .gzipWhole(let fd, _): close(fd)
        case nil: break
        }
        source = nil
        prefetched = nil
    }

    /// The next chunk from the current file, nil when the file is exhausted.
    private func readFromSource() -> ByteBuffer? {
        switch source {
        case .plain(let fd, let position):
            guard position > 0 else { return nil }
            var blockSize = Self.blockBytes
            while true {
                let start = max(0, position - blockSize)
                var block = ByteBuffer()
                let want = position - start
                let n = block.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pread(fd, $0.baseAddress, want, off_t(start)) }
                guard n == want else { return nil }
                if start == 0 {
                    source = .plain(fd: fd, position: 0)
                    return block
                }
                // The block's first bytes are the end of a line that began earlier: leave them for the next block.
                let firstNewline = block.withUnsafeReadableBytes { Lines.firstNewline($0) }
                guard let firstNewline else {
                    blockSize *= 2  // a line longer than the block: read more
                    continue
                }
                source = .plain(fd: fd, position: start + firstNewline + 1)
                block.moveReaderIndex(forwardBy: firstNewline + 1)
                return block
            }
        case .gzip(let fd, let members, let next):
            if let ahead = prefetched {
                prefetched = nil
                return ahead
            }
            guard next >= 0 else { return nil }
            chunksRead += 1
            guard chunksRead > 1, next >= 1 else {
                source = .gzip(fd: fd, members: members, next: next - 1)
                return GzipHistoryFile.inflate(member: members[next], fd: fd) ?? ByteBuffer()
            }
            // A long scan (the first chunk was not enough): inflate two members at once, one per core.
            source = .gzip(fd: fd, members: members, next: next - 2)
            let pair = Mutex<(ByteBuffer?, ByteBuffer?)>((nil, nil))
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let inflated = GzipHistoryFile.inflate(member: members[next - i], fd: fd)
                pair.withLock { if i == 0 { $0.0 = inflated } else { $0.1 = inflated } }
            }
            let (newer, older) = pair.withLock { $0 }
            prefetched = older ?? ByteBuffer()
            return newer ?? ByteBuffer()
        case .gzipWhole(let fd, let size):
            guard size > 0 else { return nil }
            source = .gzipWhole(fd: fd, size: 0)
            return GzipHistoryFile.inflateWhole(fd: fd, size: size)
        case nil:
            return nil
        }
    }
}
