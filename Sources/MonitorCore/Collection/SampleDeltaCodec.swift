/// One sample as a few bytes: each field against the same field of the previous sample. The rings keep
/// hundreds of samples per container (720 by default), and between two ticks most fields do not move: an
/// idle container's memory, limit, block counters, pids and PSI stay put, and its counters move by small
/// amounts. Held as whole `Sample`s (256 bytes each) the rings were half the daemon's memory at 100
/// containers; as deltas an idle container's sample takes ~20 bytes.
///
/// A record is the LEB128 varint of a mask of the fields that changed (bit n: the n-th field; 1 to 5 bytes for
/// the 33 fields, most records 3 or 4), then each changed field in field order: an integer as the zigzag LEB128 varint of its wrapping difference (exact for any value, the
/// counters' resets included), a floating-point value as its 8 raw bytes (exact, NaN and infinities
/// included). A record against `SampleDeltaCodec.origin` (every field zero, PSI absent) stands alone: the
/// ring starts each block with one.
///
/// The container's identity is not stored: the ring belongs to one series, and decoding puts that series'
/// identity on every sample.
enum SampleDeltaCodec {
    /// The most a record can take: the mask (5 bytes for 33 bits), 24 integer fields at 10 bytes and 9
    /// floating-point ones at 8.
    static let maximumRecordBytes = maskBytes + 24 * 10 + 9 * 8
    /// Room kept for the mask while the fields are written; the mask then moves them down to where it ends.
    static let maskBytes = 5

    /// What an absent PSI value is stored as: a NaN payload the kernel's text can never give (PSI values are
    /// parsed decimals), so that "absent" costs no bit of its own.
    static let absentBits: UInt64 = 0x7FF4_57AB_5E47_0000

    /// The sample every standalone record is a delta from.
    static func origin(identity: ContainerIdentity) -> Sample { Sample(container: identity, timestampNanos: 0) }

    /// Writes `sample` as a delta from `previous` at `out` (at least `maximumRecordBytes` long) and returns
    /// the number of bytes written.
    static func encode(_ sample: Sample, after previous: Sample, into out: UnsafeMutableRawBufferPointer) -> Int {
        var w = Writer(out: out)
        w.int(UInt64(bitPattern: sample.timestampNanos), UInt64(bitPattern: previous.timestampNanos))
        w.double(sample.cpuPercent, previous.cpuPercent)
        w.int(sample.cpuUsageNanos, previous.cpuUsageNanos)
        w.int(sample.cpuSystemUsageNanos, previous.cpuSystemUsageNanos)
        w.int(sample.cpuThrottledPeriods, previous.cpuThrottledPeriods)
        w.int(sample.memoryUsage, previous.memoryUsage)
        w.int(sample.memoryLimit, previous.memoryLimit)
        w.double(sample.memoryPercent, previous.memoryPercent)
        w.int(sample.memoryCache, previous.memoryCache)
        w.int(sample.memoryUsageRaw, previous.memoryUsageRaw)
        w.int(sample.memoryFailcnt, previous.memoryFailcnt)
        w.int(sample.oomKills, previous.oomKills)
        w.int(sample.networkRxBytes, previous.networkRxBytes)
        w.int(sample.networkTxBytes, previous.networkTxBytes)
        w.int(sample.networkRxPackets, previous.networkRxPackets)
        w.int(sample.networkTxPackets, previous.networkTxPackets)
        w.double(sample.networkRxRate, previous.networkRxRate)
        w.double(sample.networkTxRate, previous.networkTxRate)
        w.int(sample.blockReadBytes, previous.blockReadBytes)
        w.int(sample.blockWriteBytes, previous.blockWriteBytes)
        w.double(sample.blockReadRate, previous.blockReadRate)
        w.double(sample.blockWriteRate, previous.blockWriteRate)
        w.int(UInt64(bitPattern: sample.blockCountersAgeNanos), UInt64(bitPattern: previous.blockCountersAgeNanos))
        w.int(sample.pids, previous.pids)
        w.optional(sample.psiCPU, previous.psiCPU)
        w.optional(sample.psiMemory, previous.psiMemory)
        w.optional(sample.psiIO, previous.psiIO)
        w.optional(sample.psiCPUSomeMicros, previous.psiCPUSomeMicros)
        w.optional(sample.psiCPUFullMicros, previous.psiCPUFullMicros)
        w.optional(sample.psiMemorySomeMicros, previous.psiMemorySomeMicros)
        w.optional(sample.psiMemoryFullMicros, previous.psiMemoryFullMicros)
        w.optional(sample.psiIOSomeMicros, previous.psiIOSomeMicros)
        w.optional(sample.psiIOFullMicros, previous.psiIOFullMicros)
        return w.finish()
    }

    /// Reads the record at `offset` of `bytes` as a delta from `previous` (whose identity it keeps) and
    /// returns the sample and the offset just past the record.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int, after previous: Sample) -> (Sample, next: Int) {
        var r = Reader(bytes: bytes, offset: offset)
        var s = previous
        s.timestampNanos = Int64(bitPattern: r.int(UInt64(bitPattern: previous.timestampNanos)))
        s.cpuPercent = r.double(previous.cpuPercent)
        s.cpuUsageNanos = r.int(previous.cpuUsageNanos)
        s.cpuSystemUsageNanos = r.int(previous.cpuSystemUsageNanos)
        s.cpuThrottledPeriods = r.int(previous.cpuThrottledPeriods)
        s.memoryUsage = r.int(previous.memoryUsage)
        s.memoryLimit = r.int(previous.memoryLimit)
        s.memoryPercent = r.double(previous.memoryPercent)
        s.memoryCache = r.int(previous.memoryCache)
        s.memoryUsageRaw = r.int(previous.memoryUsageRaw)
        s.memoryFailcnt = r.int(previous.memoryFailcnt)
        s.oomKills = r.int(previous.oomKills)
        s.networkRxBytes = r.int(previous.networkRxBytes)
        s.networkTxBytes = r.int(previous.networkTxBytes)
        s.networkRxPackets = r.int(previous.networkRxPackets)
        s.networkTxPackets = r.int(previous.networkTxPackets)
        s.networkRxRate = r.double(previous.networkRxRate)
        s.networkTxRate = r.double(previous.networkTxRate)
        s.blockReadBytes = r.int(previous.blockReadBytes)
        s.blockWriteBytes = r.int(previous.blockWriteBytes)
        s.blockReadRate = r.double(previous.blockReadRate)
        s.blockWriteRate = r.double(previous.blockWriteRate)
        s.blockCountersAgeNanos = Int64(bitPattern: r.int(UInt64(bitPattern: previous.blockCountersAgeNanos)))
        s.pids = r.int(previous.pids)
        s.psiCPU = r.optional(previous.psiCPU)
        s.psiMemory = r.optional(previous.psiMemory)
        s.psiIO = r.optional(previous.psiIO)
        s.psiCPUSomeMicros = r.optional(previous.psiCPUSomeMicros)
        s.psiCPUFullMicros = r.optional(previous.psiCPUFullMicros)
        s.psiMemorySomeMicros = r.optional(previous.psiMemorySomeMicros)
        s.psiMemoryFullMicros = r.optional(previous.psiMemoryFullMicros)
        s.psiIOSomeMicros = r.optional(previous.psiIOSomeMicros)
        s.psiIOFullMicros = r.optional(previous.psiIOFullMicros)
        return (s, r.offset)
    }

    private static func bits(_ value: Double?) -> UInt64 { value?.bitPattern ?? absentBits }

    /// Fields are visited in one fixed order by both sides; `field` is the bit of the one at hand.
    private struct Writer {
        let out: UnsafeMutableRawBufferPointer
        var position = maskBytes
        var mask: UInt64 = 0
        var field: UInt64 = 1

        mutating func int(_ value: UInt64, _ previous: UInt64) {
            defer { field &<<= 1 }
            guard value != previous else { return }
            mask |= field
            let difference = Int64(bitPattern: value &- previous)
            var zigzag = UInt64(bitPattern: (difference &<< 1) ^ (difference >> 63))
            while zigzag >= 0x80 {
                out[position] = UInt8(truncatingIfNeeded: zigzag) | 0x80
                position &+= 1
                zigzag >>= 7
            }
            out[position] = UInt8(truncatingIfNeeded: zigzag)
            position &+= 1
        }

        mutating func double(_ value: Double, _ previous: Double) { raw(value.bitPattern, previous.bitPattern) }

        mutating func optional(_ value: Double?, _ previous: Double?) { raw(bits(value), bits(previous)) }

        /// A counter the kernel may not give: absent is UInt64.max, a value no counter reaches.
        mutating func optional(_ value: UInt64?, _ previous: UInt64?) { int(value ?? .max, previous ?? .max) }

        private mutating func raw(_ value: UInt64, _ previous: UInt64) {
            defer { field &<<= 1 }
            guard value != previous else { return }
            mask |= field
            out.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt64.self)
            position &+= 8
        }

        /// Writes the mask at the start and moves the fields down to just after it.
        func finish() -> Int {
            var length = 0
            var rest = mask
            repeat {
                rest >>= 7
                length &+= 1
            } while rest != 0
            let fields = position &- maskBytes
            if length < maskBytes, fields > 0, let base = out.baseAddress {
                (base + length).copyMemory(from: base + maskBytes, byteCount: fields)
            }
            rest = mask
            for i in 0..<length {
                out[i] = UInt8(truncatingIfNeeded: rest) | (i &+ 1 < length ? 0x80 : 0)
                rest >>= 7
            }
            return length &+ fields
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset: Int
        let mask: UInt64
        var field: UInt64 = 1

        init(bytes: UnsafeRawBufferPointer, offset: Int) {
            self.bytes = bytes
            var at = offset
            mask = Self.varint(bytes, &at)
            self.offset = at
        }

        /// An unsigned LEB128 varint at `offset`, which moves past it.
        private static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = bytes[offset]
                offset &+= 1
                value |= UInt64(byte & 0x7F) &<< shift
                if byte < 0x80 { return value }
                shift &+= 7
            }
        }

        mutating func int(_ previous: UInt64) -> UInt64 {
            defer { field &<<= 1 }
            guard mask & field != 0 else { return previous }
            let zigzag = Self.varint(bytes, &offset)
            let difference = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            return previous &+ UInt64(bitPattern: difference)
        }

        mutating func double(_ previous: Double) -> Double { Double(bitPattern: raw(previous.bitPattern)) }

        mutating func optional(_ previous: Double?) -> Double? {
            let value = raw(bits(previous))
            return value == absentBits ? nil : Double(bitPattern: value)
        }

        mutating func optional(_ previous: UInt64?) -> UInt64? {
            let value = int(previous ?? .max)
            return value == .max ? nil : value
        }

        private mutating func raw(_ previous: UInt64) -> UInt64 {
            defer { field &<<= 1 }
            guard mask & field != 0 else { return previous }
            let value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset &+= 8
            return value
        }
    }
}
