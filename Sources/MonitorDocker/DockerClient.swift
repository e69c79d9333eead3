import AsyncHTTPClient
import Foundation
import MonitorCore
import NIOCore
import NIOFoundationCompat

/// The few Docker Engine API calls discovery needs, over the unix socket: list running containers, inspect
/// one (for its pid), and follow the `/events` stream. Never `/stats`.
public final class DockerClient: Sendable {
    public let socketPath: String
    private let http: HTTPClient

    public init(socketPath: String) {
        self.socketPath = socketPath
        // No read timeout: the events stream is idle for as long as nothing happens on the host.
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: nil))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    public enum DockerError: Error, CustomStringConvertible {
        case badStatus(path: String, status: UInt, body: String)
        case badURL(String)
        case streamEnded

        public var description: String {
            switch self {
            case .badStatus(let path, let status, let body): "Docker answered \(status) to \(path): \(body)"
            case .badURL(let path): "cannot build a URL for \(path)"
            case .streamEnded: "the Docker event stream ended"
            }
        }
    }

    // MARK: Engine API shapes (only the fields used)

    public struct ListedContainer: Decodable, Sendable {
        public var Id: String
        public var Names: [String]?
        public var Image: String?
        public var Labels: [String: String]?
    }

    struct Inspected: Decodable {
        struct State: Decodable { var Pid: Int32?; var Running: Bool? }
        var State: State?
    }

    public struct Event: Decodable, Sendable {
        public struct Actor: Decodable, Sendable {
            public var ID: String?
            public var Attributes: [String: String]?
        }
        public var `Type`: String?
        public var Action: String?
        public var Actor: Actor?
    }

    // MARK: Calls

    private func request(_ pathAndQuery: String) throws -> HTTPClientRequest {
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: pathAndQuery) else {
            throw DockerError.badURL(pathAndQuery)
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        // dockerd answers 400 to a request without Host, and AHC sends none on unix sockets.
        request.headers.add(name: "Host", value: "docker")
        return request
    }

    private func get(_ pathAndQuery: String) async throws -> ByteBuffer {
        let response = try await http.execute(try request(pathAndQuery), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 32 << 20)
        guard response.status.code == 200 else {
            throw DockerError.badStatus(path: pathAndQuery, status: response.status.code, body: String(buffer: body))
        }
        return body
    }

    public func ping() async throws {
        _ = try await get("/_ping")
    }

    /// Running containers.
    public func listContainers() async throws -> [ListedContainer] {
        try JSONDecoder().decode([ListedContainer].self, from: try await get("/containers/json"))
    }

    /// The pid of a container's main process, nil when it is not running.
    public func pid(of id: String) async throws -> Int32? {
        let inspected = try JSONDecoder().decode(Inspected.self, from: try await get("/containers/\(id)/json"))
        guard let pid = inspected.State?.Pid, pid > 0 else { return nil }
        return pid
    }

    /// Follows container and network events since `since` (Unix seconds), calling `handle` for each, until the stream
    /// ends or fails (which it does when dockerd stops).
    public func followEvents(since: Double, _ handle: (Event) async -> Void) async throws {
        // Network events too: a container connected to or disconnected from a network has new veths.
        let filters = #"{"type":["container","network"]}"#
        let encoded = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? filters
        let path = "/events?since=\(String(format: "%.3f", since))&filters=\(encoded)"
        let response = try await http.execute(try request(path), timeout: .seconds(10))
        guard response.status.code == 200 else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw DockerError.badStatus(path: path, status: response.status.code, body: String(buffer: body))
        }
        // One JSON object per line; a line may be split across chunks.
        var pending = ByteBuffer()
        let decoder = JSONDecoder()
        for try await var chunk in response.body {
            pending.writeBuffer(&chunk)
            while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - pending.readerIndex
                guard let line = pending.readSlice(length: length) else { break }
                pending.moveReaderIndex(forwardBy: 1)
                if line.readableBytes == 0 { continue }
                if let event = try? decoder.decode(Event.self, from: line) { await handle(event) }
            }
            pending.discardReadBytes()
        }
        throw DockerError.streamEnded
    }
}
