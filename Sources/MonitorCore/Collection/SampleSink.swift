/// Facts about one collection tick, passed to sinks with its samples.
public struct TickInfo: Sendable {
    /// Tick number since the collector started.
    public var sequence: UInt64
    /// Wall-clock time of the tick's start, nanoseconds since the epoch.
    public var wallNanos: Int64
    /// How long the reads took, nanoseconds.
    public var durationNanos: UInt64

    public init(sequence: UInt64, wallNanos: Int64, durationNanos: UInt64) {
        self.sequence = sequence
        self.wallNanos = wallNanos
        self.durationNanos = durationNanos
    }
}

/// Where samples go after a tick: the HTTP layer, the store, alerts. Called on the collector's thread of
/// control, once per tick, with that tick's samples: return quickly, copying what you keep into your own
/// bounded structures (the span is only valid during the call).
public protocol SampleSink: AnyObject {
    func collector(didCollect samples: Span<Sample>, tick: TickInfo)
}
