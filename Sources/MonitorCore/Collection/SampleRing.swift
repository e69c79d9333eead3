/// The newest `capacity` samples of one container, held as deltas (`SampleDeltaCodec`) in blocks of up to
/// 32 records, each block starting with a standalone record. When every block is in use, the oldest block is
/// emptied whole (its storage kept) for the new samples: at least `capacity` records are held (at most one
/// block more than `capacity` rounded up to whole blocks: 768 for the default 720), and only the newest
/// `capacity` are ever shown.
///
/// Appending encodes into a stack scratch and copies the bytes into the block: once every block's storage
/// has grown to its steady size (the first pass round the ring), appending allocates nothing. Reading decodes
/// (a few µs per block) and allocates; it happens on requests, not on the tick. The newest sample is also
/// kept whole: it is the previous sample of the next delta, and `latest` costs no decoding.
struct SampleRing {
    let capacity: Int
    private let blockSize: Int
    private var blocks: ContiguousArray<Block>
    private var newestBlock = 0
    /// Records held, including those older than `capacity` that wait for their block to be emptied.
    private var held = 0
    /// The newest sample, as appended.
    private(set) var last: Sample?

    private struct Block {
        var bytes = ContiguousArray<UInt8>()
        var count = 0
    }

    init(capacity: Int) {
        precondition(capacity > 0, "a ring needs room for one sample")
        self.capacity = capacity
        blockSize = min(32, capacity)
        // Enough blocks that, with the oldest one emptied, `capacity` records still remain.
        let blockCount = (capacity + blockSize - 1) / blockSize + 1
        blocks = ContiguousArray(repeating: Block(), count: blockCount)
        // A block's steady size for an idle container (see SampleDeltaCodec): reserved now, not on the tick.
        for i in blocks.indices { blocks[i].bytes.reserveCapacity(blockSize * 40) }
    }

    /// How many samples are shown.
    var count: Int { min(held, capacity) }

    mutating func append(_ sample: Sample) {
        if blocks[newestBlock].count == blockSize {
            newestBlock = newestBlock + 1 == blocks.count ? 0 : newestBlock + 1
            held -= blocks[newestBlock].count
            blocks[newestBlock].bytes.removeAll(keepingCapacity: true)
            blocks[newestBlock].count = 0
        }
        var previous = SampleDeltaCodec.origin(identity: sample.container)
        if blocks[newestBlock].count > 0, let last { previous = last }
        withUnsafeTemporaryAllocation(byteCount: SampleDeltaCodec.maximumRecordBytes, alignment: 8) { scratch in
            let length = SampleDeltaCodec.encode(sample, after: previous, into: scratch)
            blocks[newestBlock].bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<length]))
        }
        blocks[newestBlock].count += 1
        held += 1
        last = sample
    }

    /// Calls `body` on the shown samples from the newest to the oldest until it returns false. Samples carry
    /// `identity`.
    func forEachNewestFirst(identity: ContainerIdentity, _ body: (Sample) throws -> Bool) rethrows {
        var remaining = count
        var b = newestBlock
        for _ in 0..<blocks.count where remaining > 0 {
            let samples = decode(block: b, identity: identity)
            for sample in samples.reversed() where remaining > 0 {
                remaining -= 1
                if try !body(sample) { return }
            }
            b = b == 0 ? blocks.count - 1 : b - 1
        }
    }

    /// The oldest shown sample.
    func first(identity: ContainerIdentity) -> Sample? {
        guard held > 0 else { return nil }
        var skip = held - count
        var b = newestBlock + 1 == blocks.count ? 0 : newestBlock + 1
        for _ in 0..<blocks.count {
            if skip < blocks[b].count { return decode(block: b, identity: identity, records: skip + 1).last }
            skip -= blocks[b].count
            b = b + 1 == blocks.count ? 0 : b + 1
        }
        return nil
    }

    /// Block `b`'s first `records` records (all by default), oldest first.
    private func decode(block b: Int, identity: ContainerIdentity, records: Int = .max) -> [Sample] {
        let n = min(blocks[b].count, records)
        var samples: [Sample] = []
        samples.reserveCapacity(n)
        blocks[b].bytes.withUnsafeBytes { bytes in
            var previous = SampleDeltaCodec.origin(identity: identity)
            var offset = 0
            for _ in 0..<n {
                let (sample, next) = SampleDeltaCodec.decode(bytes, at: offset, after: previous)
                samples.append(sample)
                previous = sample
                offset = next
            }
        }
        return samples
    }
}
