import AsyncHTTPClient
import Logging
import MonitorCore
import MonitorEncoding
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// What the webhook notifier did, for `statistics`.
public final class WebhookStatistics: Sendable {
    public let delivered = Atomic<UInt64>(0)
    /// Alerts given up after every retry failed.
    public let failed = Atomic<UInt64>(0)
    public let retries = Atomic<UInt64>(0)
    /// Alerts dropped because a receiver's queue was full (it has been failing for a long time).
    public let dropped = Atomic<UInt64>(0)
    public let lastError = Mutex<String?>(nil)
    public init() {}
}

/// POSTs every alert and resolution to each configured URL (SPEC §5): a JSON body with a Slack-compatible
/// `text` and the full record under `alert`. Each URL has its own bounded queue and worker, so a dead
/// receiver delays nobody — not the tick (which only enqueues), not the other receivers. Failures
/// (connection refused, timeout, 5xx, 429) are retried with exponential back-off, then counted.
public final class WebhookNotifier: Service, Sendable {
    public let statistics = WebhookStatistics()
    private let urls: [String]
    private let queues: [(stream: AsyncStream<AlertRecord>, input: AsyncStream<AlertRecord>.Continuation)]
    private let logger: Logger
    private let attempts: Int
    private let firstBackoff: Duration
    private let timeout: TimeAmount

    public static let queueSize = 1000

    public init(
        urls: [String], logger: Logger, attempts: Int = 5, firstBackoff: Duration = .milliseconds(500), timeout: TimeAmount = .seconds(5)
    ) {
        self.urls = urls
        queues = urls.map { _ in
            let (stream, input) = AsyncStream.makeStream(of: AlertRecord.self, bufferingPolicy: .bufferingNewest(Self.queueSize))
            return (stream, input)
        }
        self.logger = logger
        self.attempts = attempts
        self.firstBackoff = firstBackoff
        self.timeout = timeout
    }

    /// Queues an alert for every receiver. Never waits.
    public func enqueue(_ alert: AlertRecord) {
        for queue in queues {
            if case .dropped = queue.input.yield(alert) { statistics.dropped.add(1, ordering: .relaxed) }
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for (url, queue) in zip(urls, queues) {
                    group.addTask {
                        for await alert in queue.stream { await self.deliver(alert, to: url) }
                    }
                }
            }
        } onGracefulShutdown: {
            for queue in self.queues { queue.input.finish() }
        }
    }

    /// The body: Slack's `text`, plus the record for receivers that want the fields.
    static func body(for alert: AlertRecord) -> ByteBuffer {
        let who = alert.serviceName.map { "\(alert.containerName) (\($0))" } ?? alert.containerName
        let tag = alert.resolved ? "résolu" : alert.level.rawValue
        var b = ByteBuffer()
        b.writeStaticString("{")
        b.writeJSONKey("text"); b.writeJSONString("[\(tag)] \(who): \(alert.message)")
        b.writeStaticString(","); b.writeJSONKey("alert"); b.writeAlertJSON(alert, precision: .milliseconds)
        b.writeStaticString("}")
        return b
    }

    private func deliver(_ alert: AlertRecord, to url: String) async {
        var backoff = firstBackoff
        for attempt in 1...attempts {
            let outcome = await post(alert, to: url)
            switch outcome {
            case .delivered:
                statistics.delivered.add(1, ordering: .relaxed)
                return
            case .rejected(let reason):
                // A 4xx other than 429: the receiver will not take it however often it is sent.
                fail(alert, url, reason)
                return
            case .retry(let reason):
                guard attempt < attempts else {
                    fail(alert, url, reason)
                    return
                }
                statistics.retries.add(1, ordering: .relaxed)
                logger.debug("webhook delivery failed; retrying", metadata: ["url": "\(url)", "error": "\(reason)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    private func fail(_ alert: AlertRecord, _ url: String, _ reason: String) {
        statistics.failed.add(1, ordering: .relaxed)
        statistics.lastError.withLock { $0 = "\(url): \(reason)" }
        logger.warning(
            "webhook delivery given up",
            metadata: ["url": "\(url)", "error": "\(reason)", "container_name": "\(alert.containerName)", "metric_type": "\(alert.metricType.rawValue)"])
    }

    private enum Outcome {
        case delivered
        case retry(String)
        case rejected(String)
    }

    private func post(_ alert: AlertRecord, to url: String) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "wakedock-monitor")
        request.body = .bytes(Self.body(for: alert))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200..<300: return .delivered
            case 429, 500...: return .retry("HTTP \(response.status.code)")
            default: return .rejected("HTTP \(response.status.code)")
            }
        } catch {
            return .retry("\(error)")
        }
    }
}
