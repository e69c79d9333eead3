import NIOCore
import NIOPosix
import Synchronization

/// Where history answers are read and encoded: on a thread pool of their own, never on Swift's cooperative
/// pool (where the HTTP handlers, the WebSocket hub and the store's tasks run) nor on NIO's event loops. At most
/// `maxInFlight` answers and, apart from them, `maxStreams` JSONL exports run or wait at once (an export read
/// slowly lasts as long as its reader, and must not keep the ordinary queries out); one more is refused at
/// once with 429 and `Retry-After`, so a burst queues nowhere and holds no memory.
final class HeavyQueries: Sendable {
    private let pool: NIOThreadPool
    private let inFlight = Atomic<Int>(0)
    private let streaming = Atomic<Int>(0)
    let maxInFlight: Int
    let maxStreams: Int
    private let statistics: RequestStatistics

    init(threads: Int, maxInFlight: Int, maxStreams: Int, statistics: RequestStatistics) {
        pool = NIOThreadPool(numberOfThreads: max(threads, 1))
        pool.start()
        self.maxInFlight = maxInFlight
        self.maxStreams = maxStreams
        self.statistics = statistics
    }

    /// A place among the answers (or the exports) running: released when the last reference to it goes (a
    /// streamed answer keeps it until its last chunk is written, or until the response is dropped unwritten).
    final class Permit: Sendable {
        private let queries: HeavyQueries
        private let stream: Bool
        fileprivate init(_ queries: HeavyQueries, stream: Bool) {
            self.queries = queries
            self.stream = stream
        }
        deinit {
            if stream { queries.streaming.subtract(1, ordering: .relaxed) } else { queries.inFlight.subtract(1, ordering: .relaxed) }
        }
    }

    /// A permit for an answer (or an export), or the 429 that refuses one.
    func admit(stream: Bool = false) throws(APIError) -> Permit {
        let admitted = stream ? Self.take(streaming, limit: maxStreams) : Self.take(inFlight, limit: maxInFlight)
        guard admitted else {
            statistics.busy.increment()
            var error = APIError(.tooManyRequests, "too_many_requests", "Trop de requêtes d'historique en cours, réessayez dans un instant")
            error.headers[.retryAfter] = "1"
            throw error
        }
        return Permit(self, stream: stream)
    }

    private static func take(_ counter: borrowing Atomic<Int>, limit: Int) -> Bool {
        guard counter.add(1, ordering: .relaxed).newValue <= limit else {
            counter.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Runs `body` on the pool (the caller holds a permit).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

}
