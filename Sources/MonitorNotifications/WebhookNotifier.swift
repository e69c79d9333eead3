import AsyncHTTPClient
import Logging
import MonitorCore
import MonitorEncoding
import MonitorHealth
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// What the webhook notifier did, counted into the daemon's health registry (`wakedock_webhook_…`) and read
/// back by `statistics`.
public final class WebhookStatistics: Sendable {
    public let delivered: HealthCounter
    /// Alerts given up after every retry failed.
    public let failed: HealthCounter
    public let retries: HealthCounter
    /// Alerts dropped because a receiver's queue was full (it has been failing for a long time).
    public let dropped: HealthCounter
    public let lastError = Mutex<String?>(nil)

    public init(health: HealthRegistry) {
        delivered = health.counter(Names.delivered, help: "Alerts delivered to a webhook")
        failed = health.counter(Names.failed, help: "Alerts given up after every retry to a webhook failed")
        retries = health.counter(Names.retries, help: "Webhook deliveries retried")
        dropped = health.counter(Names.dropped, help: "Alerts dropped because a webhook's queue was full")
    }

    public enum Names {
        public static let delivered = "wakedock_webhook_deliveries_total"
        public static let failed = "wakedock_webhook_failures_total"
        public static let retries = "wakedock_webhook_retries_total"
        public static let dropped = "wakedock_webhook_dropped_total"
    }
}

/// POSTs every alert and resolution to each configured URL (SPEC §5): a JSON body with a Slack-compatible
/// `text` and the full record under `alert`. Each URL has its own bounded queue and worker, so a dead
/// receiver delays nobody — not the tick (which only enqueues), not the other receivers. Failures
/// (connection refused, timeout, 5xx, 429) are retried with exponential back-off, then counted.
public final class WebhookNotifier: Service, Sendable {
    public let statistics: WebhookStatistics
    private let urls: [String]
    private let queues: [(stream: AsyncStream<AlertRecord>, input: AsyncStream<AlertRecord>.Continuation)]
    private let logger: Logger
    private let attempts: Int
    private let firstBackoff: Duration
    private let timeout: TimeAmount

    public static let queueSize = 1000

    public init(
        urls: [String], logger: Logger, attempts: Int = 5, firstBackoff: Duration = .milliseconds(500), timeout: TimeAmount = .seconds(5),
        health: HealthRegistry = HealthRegistry()
    ) {
        statistics = WebhookStatistics(health: health)
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
            if case .dropped = queue.input.yield(alert) { statistics.dropped.increment() }
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
                statistics.delivered.increment()
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
                statistics.retries.increment()
                logger.debug("webhook delivery failed; retrying", metadata: ["url": "\(url)", "error": "\(reason)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    private func fail(_ alert: AlertRecord, _ url: String, _ reason: String) {
        statistics.failed.increment()
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
