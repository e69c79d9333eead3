import Synchronization

/// What the store did, for `status` and `statistics`.
public final class StoreStatistics: Sendable {
    public let samplesPersisted = Atomic<UInt64>(0)
    public let alertsPersisted = Atomic<UInt64>(0)
    public let bytesWritten = Atomic<UInt64>(0)
    /// write(2)/open(2) calls that failed (disk full, read-only, directory gone…).
    public let writeFailures = Atomic<UInt64>(0)
    /// Lines given up because the pending buffer hit its cap while the disk refused them.
    public let droppedLines = Atomic<UInt64>(0)
    /// Open files found deleted (with their directory, say) and created anew.
    public let filesRecreated = Atomic<UInt64>(0)
    /// Closed files compressed, and their sizes before and after.
    public let filesCompressed = Atomic<UInt64>(0)
    public let bytesBeforeCompression = Atomic<UInt64>(0)
    public let bytesAfterCompression = Atomic<UInt64>(0)
    public let compressionFailures = Atomic<UInt64>(0)
    public let lastError = Mutex<String?>(nil)
    /// True while writes are failing.
    public let failing = Atomic<Bool>(false)
    public init() {}
}
