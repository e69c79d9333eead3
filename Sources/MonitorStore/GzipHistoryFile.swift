import CompressNIO
import Glibc
import NIOCore

/// A closed history file compressed as a series of gzip members of about `memberBytes` of lines each (a
/// multi-member gzip file is still one valid gzip file: `zcat`, `gzip -t` and Python's `gzip` read it whole),
/// with a sidecar index `<name>.idx` giving each member's place and time span. A query for the last hour
/// inflates only the members it needs, from the newest back, instead of a whole day.
///
/// Index format (text): a header `wakedock-gzip-index 1 <gz file size>`, then one line per member:
/// `<offset> <compressed length> <uncompressed length> <first timestamp ns> <last timestamp ns>`.
enum GzipHistoryFile {
    struct Member: Equatable {
        var offset: Int
        var length: Int
        var rawLength: Int
        var firstNanos: Int64
        var lastNanos: Int64
    }

    static let memberBytes = 1 << 20

    /// Compresses `plain` into `<plain>.gz` plus its index, then removes `plain`. The `.gz` appears only
    /// once complete (written as `.tmp`, synced, renamed), so a crash leaves the plain file to redo.
    static func compress(plainPath: String) throws(StoreError) -> (rawBytes: Int, compressedBytes: Int) {
        let gzPath = plainPath + ".gz"
        let tmpPath = gzPath + ".tmp"
        let input = open(plainPath, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw StoreError(errno: errno, operation: "open \(plainPath)") }
        defer { close(input) }
        let output = open(tmpPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, StorageDirectory.fileMode)
        guard output >= 0 else { throw StoreError(errno: errno, operation: "open \(tmpPath)") }
        var members: [Member] = []
        var offset = 0
        var rawTotal = 0
        do throws(StoreError) {
            let compressor: ZlibCompressor
            do { compressor = try ZlibCompressor(algorithm: .gzip) } catch {
                throw StoreError(errno: ENOMEM, operation: "zlib init")
            }
            var carry = ByteBuffer()
            var block = ByteBuffer()
            var eof = false
            while !eof || carry.readableBytes > 0 {
                // Fill up to memberBytes, then cut after the last complete line.
                block.clear()
                block.writeBuffer(&carry)
                while !eof, block.readableBytes < memberBytes {
                    let want = memberBytes - block.readableBytes
                    let n = block.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { out in
                        read(input, out.baseAddress, want)
                    }
                    if n < 0 { throw StoreError(errno: errno, operation: "read \(plainPath)") }
                    if n == 0 { eof = true }
                }
                var cut = block.readableBytes
                if !eof {
                    let whole = block.withUnsafeReadableBytes { Lines.completeEnd($0) }
                    if whole > 0 { cut = whole }
                }
                guard cut > 0 else { break }
                carry = block.getSlice(at: block.readerIndex + cut, length: block.readableBytes - cut) ?? ByteBuffer()
                var member = block.getSlice(at: block.readerIndex, length: cut)!
                let (first, last) = member.withUnsafeReadableBytes { timeSpan(of: $0) }
                var compressed = ByteBuffer()
                compressed.reserveCapacity(compressor.maxSize(from: member))
                do {
                    try compressor.reset()
                    try compressor.deflate(from: &member, to: &compressed, flush: .finish)
                } catch {
                    throw StoreError(errno: EIO, operation: "deflate \(plainPath)")
                }
                try writeAll(output, compressed, path: tmpPath)
                members.append(Member(offset: offset, length: compressed.readableBytes, rawLength: cut, firstNanos: first, lastNanos: last))
                offset += compressed.readableBytes
                rawTotal += cut
            }
            guard fsync(output) == 0 else { throw StoreError(errno: errno, operation: "fsync \(tmpPath)") }
            close(output)
        } catch {
            close(output)
            unlink(tmpPath)
            throw error
        }
        // The index first: a .gz without its index is still readable (whole), an index without its .gz is ignored.
        var index = ByteBuffer()
        index.writeString("wakedock-gzip-index 1 \(offset)\n")
        for m in members { index.writeString("\(m.offset) \(m.length) \(m.rawLength) \(m.firstNanos) \(m.lastNanos)\n") }
        let indexPath = gzPath + ".idx"
        let indexFD = open(indexPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, StorageDirectory.fileMode)
        guard indexFD >= 0 else { unlink(tmpPath); throw StoreError(errno: errno, operation: "open \(indexPath)") }
        do { try writeAll(indexFD, index, path: indexPath) } catch {
            close(indexFD)
            unlink(tmpPath)
            throw error
        }
        close(indexFD)
        guard rename(tmpPath, gzPath) == 0 else { throw StoreError(errno: errno, operation: "rename \(tmpPath)") }
        unlink(plainPath)
        return (rawTotal, offset)
    }

    /// The timestamps of the first and last lines in `bytes` (0 when they do not parse: the member is then
    /// never skipped by time).
    static func timeSpan(of bytes: UnsafeRawBufferPointer) -> (Int64, Int64) {
        let first = Lines.first(bytes).flatMap { HistoryLine($0).timestampNanos } ?? 0
        let last = Lines.last(bytes).flatMap { HistoryLine($0).timestampNanos } ?? 0
        return (first, last)
    }

    /// The members listed in `<gzPath>.idx`, or nil when there is no index or it does not describe the file
    /// as it is (another size: then the file is read whole).
    static func readIndex(gzPath: String, gzSize: Int) -> [Member]? {
        guard let text = readSmallFile(gzPath + ".idx") else { return nil }
        var lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: " "), header.count == 3, header[0] == "wakedock-gzip-index",
            header[1] == "1", Int(header[2]) == gzSize
        else { return nil }
        lines.removeFirst()
        var members: [Member] = []
        members.reserveCapacity(lines.count)
        for line in lines {
            let f = line.split(separator: " ")
            guard f.count == 5, let o = Int(f[0]), let l = Int(f[1]), let r = Int(f[2]), let a = Int64(f[3]), let b = Int64(f[4])
            else { return nil }
            members.append(Member(offset: o, length: l, rawLength: r, firstNanos: a, lastNanos: b))
        }
        return members
    }

    /// Inflates one member read from `fd`.
    static func inflate(member: Member, fd: Int32) -> ByteBuffer? {
        var compressed = ByteBuffer()
        compressed.reserveCapacity(member.length)
        let n = compressed.writeWithUnsafeMutableBytes(minimumWritableBytes: member.length) { out in
            pread(fd, out.baseAddress, member.length, off_t(member.offset))
        }
        guard n == member.length else { return nil }
        var raw = ByteBuffer()
        raw.reserveCapacity(member.rawLength + 1)
        guard let decompressor = try? ZlibDecompressor(algorithm: .gzip) else { return nil }
        do { try decompressor.inflate(from: &compressed, to: &raw) } catch { return nil }
        return raw
    }

    /// Inflates a whole gzip file, every member, stopping quietly at a truncated or corrupt end (what came
    /// before is kept): the fallback for a file without a usable index.
    static func inflateWhole(fd: Int32, size: Int) -> ByteBuffer {
        var compressed = ByteBuffer()
        compressed.reserveCapacity(size)
        var total = 0
        while total < size {
            let n = compressed.writeWithUnsafeMutableBytes(minimumWritableBytes: size - total) { out in
                pread(fd, out.baseAddress, size - total, off_t(total))
            }
            if n <= 0 { break }
            total += n
        }
        var raw = ByteBuffer()
        guard var decompressor = try? ZlibDecompressor(algorithm: .gzip) else { return raw }
        raw.reserveCapacity(max(4096, size * 8))
        while compressed.readableBytes > 0 {
            do {
                try decompressor.inflate(from: &compressed, to: &raw)
                // A normal return: the member ended. Another may follow.
                guard compressed.readableBytes > 0, let next = try? ZlibDecompressor(algorithm: .gzip) else { break }
                decompressor = next
            } catch let error as CompressNIOError where error == .bufferOverflow {
                raw.reserveCapacity(minimumWritableBytes: raw.capacity)  // more room, go on
            } catch {
                break  // truncated (.inputBufferOverflow) or corrupt: keep what was inflated
            }
        }
        return raw
    }
}

func writeAll(_ fd: Int32, _ bytes: ByteBuffer, path: String) throws(StoreError) {
    let (_, failure) = writeAsMuchAsPossible(fd, bytes, path: path)
    if let failure { throw failure }
}

/// Writes `bytes`, returning how many reached the file before an error stopped it (a full disk can take part
/// of a buffer): the caller decides what to do with a partial write instead of guessing.
func writeAsMuchAsPossible(_ fd: Int32, _ bytes: ByteBuffer, path: String) -> (written: Int, failure: StoreError?) {
    var remaining = bytes
    while remaining.readableBytes > 0 {
        let n = remaining.withUnsafeReadableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return (bytes.readableBytes - remaining.readableBytes, StoreError(errno: errno, operation: "write \(path)"))
        }
        if n == 0 { return (bytes.readableBytes - remaining.readableBytes, StoreError(errno: EIO, operation: "write \(path)")) }
        remaining.moveReaderIndex(forwardBy: n)
    }
    return (bytes.readableBytes, nil)
}

/// A small text file's contents (an index), nil when it cannot be read.
func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = ByteBuffer()
    while true {
        let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 65_536) { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        if n == 0 { break }
    }
    return String(buffer: buffer)
}
