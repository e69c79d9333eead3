import AsyncHTTPClient
import Foundation
import MonitorApp
import MonitorCore
import NIOCore
import NIOFoundationCompat

/// Every container's newest sample as a serving daemon holds it in its rings
/// (`GET /api/v1/monitoring/metrics/latest`): what `stats` prints when a daemon answers, instead of reading the
/// kernel twice a quarter-second apart itself.
struct DaemonSnapshot {
    /// false after `POST /stop`: the samples are as old as the stop.
    var collecting: Bool
    var samples: [Sample]

    enum Failure: Error, CustomStringConvertible {
        case badURL(String)
        case status(UInt)
        case unreadable(String)
        case timedOut

        var description: String {
            switch self {
            case .badURL(let url): "not an http:// or https:// URL: \(url)"
            case .status(let code): "it answered HTTP \(code)"
            case .unreadable(let why): "its answer is not a metrics snapshot (\(why))"
            case .timedOut: "no whole answer within \(DaemonSnapshot.deadline.nanoseconds / 1_000_000_000) s"
            }
        }
    }

    /// A daemon on this host answers in a few milliseconds; one that does not within these bounds is treated
    /// as absent (a stuck peer on the port must not hang `stats`).
    static let connectTimeout = TimeAmount.milliseconds(300)
    static let deadline = TimeAmount.seconds(2)
    static let maxBodyBytes = 32 << 20

    /// Where the daemon of these settings would answer: its host and port, a wildcard host read as loopback.
    /// nil when it listens on an ephemeral port (0), which no client can guess.
    static func defaultBaseURL(host: String, port: Int) -> String? {
        guard port > 0 else { return nil }
        let reachable: String =
            switch host {
            case "", "0.0.0.0", "*": "127.0.0.1"
            case "::", "[::]": "[::1]"
            default: host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            }
        return "http://\(reachable):\(port)"
    }

    static func fetch(from base: String) async throws -> DaemonSnapshot {
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed + "/api/v1/monitoring/metrics/latest"), url.scheme == "http" || url.scheme == "https",
            url.host != nil
        else { throw Failure.badURL(base) }
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(timeout: .init(connect: connectTimeout, read: deadline)))
        do {
            let snapshot = try await withDeadline { try await fetch(url.absoluteString, with: client) }
            try? await client.shutdown()
            return snapshot
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The whole exchange, body included, within `deadline`: AsyncHTTPClient's own deadline ends with the
    /// response head, and a peer that trickles its body would otherwise hold `stats` for as long as it likes.
    private static func withDeadline(_ body: @escaping @Sendable () async throws -> DaemonSnapshot) async throws -> DaemonSnapshot {
        try await withThrowingTaskGroup(of: DaemonSnapshot?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(deadline.nanoseconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let snapshot = first else { throw Failure.timedOut }
            return snapshot
        }
    }

    private static func fetch(_ url: String, with client: HTTPClient) async throws -> DaemonSnapshot {
        let response = try await client.execute(HTTPClientRequest(url: url), deadline: .now() + deadline)
        guard response.status == .ok else { throw Failure.status(response.status.code) }
        let body = try await response.body.collect(upTo: maxBodyBytes)
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: Data(buffer: body))
        } catch {
            throw Failure.unreadable("\(error)")
        }
        return DaemonSnapshot(collecting: decoded.collecting, samples: decoded.samples.map(\.sample))
    }

    private struct Body: Decodable {
        var collecting: Bool
        var samples: [SampleObject]
    }

    /// A sample as SPEC §2 writes it, back into the engine's value (what the table and `--format json` print).
    private struct SampleObject: Decodable {
        var container_id: String
        var container_name: String
        var service_name: String?
        var project_name: String?
        var timestamp: String
        var cpu_percent: Double
        var memory_usage: UInt64
        var memory_limit: UInt64
        var memory_percent: Double
        var network_rx_bytes: UInt64
        var network_tx_bytes: UInt64
        var network_rx_rate: Double
        var network_tx_rate: Double
        var pids: UInt64
        var cpu_usage: UInt64?
        var cpu_system_usage: UInt64?
        var memory_cache: UInt64?
        var memory_usage_raw: UInt64?
        var network_rx_packets: UInt64?
        var network_tx_packets: UInt64?
        var block_read_bytes: UInt64?
        var block_write_bytes: UInt64?
        var block_read_rate: Double?
        var block_write_rate: Double?
        var cpu_throttled_periods: UInt64?
        var memory_failcnt: UInt64?
        var oom_kills: UInt64?
        var psi_cpu_some_avg10: Double?
        var psi_memory_some_avg10: Double?
        var psi_io_some_avg10: Double?

        var sample: Sample {
            let identity = ContainerIdentity(
                id: container_id, name: container_name, serviceName: service_name, projectName: project_name)
            var s = Sample(container: identity, timestampNanos: Self.nanos(timestamp))
            s.cpuPercent = cpu_percent
            s.memoryUsage = memory_usage
            s.memoryLimit = memory_limit
            s.memoryPercent = memory_percent
            s.networkRxBytes = network_rx_bytes
            s.networkTxBytes = network_tx_bytes
            s.networkRxRate = network_rx_rate
            s.networkTxRate = network_tx_rate
            s.pids = pids
            s.cpuUsageNanos = cpu_usage ?? 0
            s.cpuSystemUsageNanos = cpu_system_usage ?? 0
            s.memoryCache = memory_cache ?? 0
            s.memoryUsageRaw = memory_usage_raw ?? 0
            s.networkRxPackets = network_rx_packets ?? 0
            s.networkTxPackets = network_tx_packets ?? 0
            s.blockReadBytes = block_read_bytes ?? 0
            s.blockWriteBytes = block_write_bytes ?? 0
            s.blockReadRate = block_read_rate ?? 0
            s.blockWriteRate = block_write_rate ?? 0
            s.cpuThrottledPeriods = cpu_throttled_periods ?? 0
            s.memoryFailcnt = memory_failcnt ?? 0
            s.oomKills = oom_kills ?? 0
            s.psiCPU = psi_cpu_some_avg10
            s.psiMemory = psi_memory_some_avg10
            s.psiIO = psi_io_some_avg10
            return s
        }

        /// The daemon writes RFC 3339 with milliseconds; anything else unreadable counts as "now".
        static func nanos(_ text: String) -> Int64 {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let date = formatter.date(from: text) ?? Date()
            return Int64(saturating: (date.timeIntervalSince1970 * 1e9).rounded())
        }
    }
}
