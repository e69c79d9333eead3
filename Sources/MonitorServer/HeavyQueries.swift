import NIOCore
import NIOPosix
import Synchronization

/// Where history answers are read and encoded: on a thread pool of their own, never on Swift's cooperative
/// pool (where the HTTP handlers, the WebSocket hub and the store's tasks run) nor on NIO's event loops. At most
/// `maxInFlight` run or wait at once; one more is refused at once with 429 and `Retry-After`, so a burst of
/// exports queues nowhere and holds no memory.
final class HeavyQueries: Sendable {
    private let pool: NIOThreadPool
    private let inFlight = Atomic<Int>(0)
    let maxInFlight: Int
    private let statistics: RequestStatistics

    init(threads: Int, maxInFlight: Int, statistics: RequestStatistics) {
        pool = NIOThreadPool(numberOfThreads: max(threads, 1))
        pool.start()
        self.maxInFlight = maxInFlight
        self.statistics = statistics
    }

    /// A place among the queries running: released when the last reference to it goes (a streamed answer keeps
    /// it until its last chunk is written, or until the response is dropped unwritten).
    final class Permit: Sendable {
        private let queries: HeavyQueries
        fileprivate init(_ queries: HeavyQueries) { self.queries = queries }
        deinit { queries.inFlight.subtract(1, ordering: .relaxed) }
    }

    /// A permit, or the 429 that refuses one.
    func admit() throws(APIError) -> Permit {
        let now = inFlight.add(1, ordering: .relaxed).newValue
        guard now <= maxInFlight else {
            inFlight.subtract(1, ordering: .relaxed)
            statistics.busy.add(1, ordering: .relaxed)
            var error = APIError(.tooManyRequests, "too_many_requests", "Trop de requêtes d'historique en cours, réessayez dans un instant")
            error.headers[.retryAfter] = "1"
            throw error
        }
        return Permit(self)
    }

    /// Runs `body` on the pool (the caller holds a permit).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

}
