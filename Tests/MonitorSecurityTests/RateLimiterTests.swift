import MonitorSecurity
import Testing

/// Token buckets: the burst, the refill, `Retry-After`, and memory that stays bounded whatever the clients do.
@Suite struct RateLimiterTests {
    static let second: UInt64 = 1_000_000_000

    @Test func aBurstThenTheRateThenRetryAfter() {
        let limiter = RateLimiter(rate: 5, burst: 10)
        let t0: UInt64 = 1_000 * Self.second
        for _ in 0..<10 { #expect(limiter.take("a", nowNanos: t0) == .allowed) }
        #expect(limiter.take("a", nowNanos: t0) == .limited(retryAfterSeconds: 1, refusals: 1))
        #expect(limiter.isExhausted("a", nowNanos: t0) && !limiter.isExhausted("b", nowNanos: t0))
        #expect(limiter.take("b", nowNanos: t0) == .allowed)  // another client, another bucket
        // 5 a second: after 0.4 s two more.
        #expect(limiter.take("a", nowNanos: t0 + 4 * Self.second / 10) == .allowed)
        #expect(limiter.take("a", nowNanos: t0 + 4 * Self.second / 10) == .allowed)
        #expect(limiter.take("a", nowNanos: t0 + 4 * Self.second / 10) != .allowed)
        // A clock that goes back refills nothing and traps nothing.
        #expect(limiter.take("a", nowNanos: 0) != .allowed)
        let slow = RateLimiter(rate: 0.01, burst: 1)
        #expect(slow.take("x", nowNanos: t0) == .allowed)
        #expect(slow.take("x", nowNanos: t0) == .limited(retryAfterSeconds: 100, refusals: 1))
        #expect(slow.take("x", nowNanos: t0) == .limited(retryAfterSeconds: 100, refusals: 2))
    }

    @Test func rotatingClientsCannotGrowItAndShareOneOverflowBucket() {
        let limiter = RateLimiter(rate: 1, burst: 2, maxClients: 100)
        let t0: UInt64 = 5_000 * Self.second
        // 100 busy clients fill the table; every newcomer after them draws from one shared bucket.
        for i in 0..<100 { _ = limiter.take("busy-\(i)", nowNanos: t0); _ = limiter.take("busy-\(i)", nowNanos: t0) }
        var allowed = 0
        for i in 0..<10_000 where limiter.take("rotating-\(i)", nowNanos: t0) == .allowed { allowed += 1 }
        #expect(allowed == 2)
        #expect(limiter.clientCount == 100)
        // Once the busy ones have refilled (a second later, at most once a second), newcomers get buckets again.
        #expect(limiter.take("new", nowNanos: t0 + 3 * Self.second) == .allowed)
        #expect(limiter.clientCount == 1)
    }
}
