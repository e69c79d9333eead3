import Synchronization

/// Token buckets per client (a token's subject, or an address): `rate` requests a second, bursts of `burst`.
/// Memory is bounded: at most `maxClients` buckets. When they are all taken, the full ones (a full bucket is the
/// same as no bucket) are dropped; if none is full — as many busy clients as the bound, say an attacker rotating
/// addresses — newcomers share one overflow bucket, so rotating addresses buys nothing.
public final class RateLimiter: Sendable {
    public enum Decision: Equatable, Sendable {
        case allowed
        /// Seconds until a request would be allowed (at least 1: `Retry-After` is whole seconds), and how many
        /// requests this client has been refused since its last allowed one (so that a flood is logged sparingly).
        case limited(retryAfterSeconds: Int, refusals: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updatedNanos: UInt64
        var refusals = 0
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var overflow: Bucket
        /// When the full buckets were last dropped: at most once a second, so that a flood of newcomers does not
        /// make every request scan the table.
        var prunedNanos: UInt64 = 0
    }

    public let rate: Double
    public let burst: Double
    public let maxClients: Int
    private let state: Mutex<State>

    public init(rate: Double, burst: Double, maxClients: Int = 10_000) {
        self.rate = max(rate, 1e-9)
        self.burst = max(burst, 1)
        self.maxClients = max(maxClients, 1)
        state = Mutex(State(overflow: Bucket(tokens: max(burst, 1), updatedNanos: 0)))
    }

    /// Takes one request's token from `client`'s bucket.
    public func take(_ client: String, nowNanos: UInt64) -> Decision {
        state.withLock { state in
            if var bucket = state.buckets[client] {
                let decision = take(from: &bucket, nowNanos: nowNanos)
                state.buckets[client] = bucket
                return decision
            }
            if state.buckets.count >= maxClients, nowNanos &- state.prunedNanos >= 1_000_000_000 || nowNanos < state.prunedNanos {
                state.buckets = state.buckets.filter { refilled($0.value, nowNanos: nowNanos).tokens < burst }
                state.prunedNanos = nowNanos
            }
            guard state.buckets.count < maxClients else { return take(from: &state.overflow, nowNanos: nowNanos) }
            var bucket = Bucket(tokens: burst, updatedNanos: nowNanos)
            let decision = take(from: &bucket, nowNanos: nowNanos)
            state.buckets[client] = bucket
            return decision
        }
    }

    /// True when `client`'s bucket is empty now (nothing taken): a refused request's cost can then be skipped.
    public func isExhausted(_ client: String, nowNanos: UInt64) -> Bool {
        state.withLock { state in
            guard let bucket = state.buckets[client] else { return false }
            return refilled(bucket, nowNanos: nowNanos).tokens < 1
        }
    }

    /// Buckets held now (for the tests of the bound).
    public var clientCount: Int { state.withLock { $0.buckets.count } }

    private func refilled(_ bucket: Bucket, nowNanos: UInt64) -> Bucket {
        // A clock that went back refills nothing; the elapsed time is bounded by what fills a bucket.
        let elapsed = nowNanos > bucket.updatedNanos ? Double(nowNanos - bucket.updatedNanos) / 1e9 : 0
        return Bucket(
            tokens: min(burst, bucket.tokens + elapsed * rate), updatedNanos: max(nowNanos, bucket.updatedNanos), refusals: bucket.refusals)
    }

    private func take(from bucket: inout Bucket, nowNanos: UInt64) -> Decision {
        bucket = refilled(bucket, nowNanos: nowNanos)
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            bucket.refusals = 0
            return .allowed
        }
        bucket.refusals = min(bucket.refusals + 1, Int(Int32.max))
        let wait = ((1 - bucket.tokens) / rate).rounded(.up)
        return .limited(retryAfterSeconds: wait.isFinite ? Int(min(max(wait, 1), 86_400)) : 86_400, refusals: bucket.refusals)
    }
}
