import Foundation
import Logging
import MonitorCore
import ServiceLifecycle

/// Learns which containers exist from the Docker Engine: one listing at start, then the `/events` stream.
/// When dockerd goes away it waits for its socket to accept again (probed every 0.25 s, after a back-off of
/// 0.1 s doubling to 1 s between failed attempts) and lists again at once after reconnecting, because events
/// are not replayed across a daemon restart: however long Docker was gone, its containers are back within a
/// second of it.
public final class DockerDiscovery: Service {
    private let client: DockerClient
    private let inbox: TargetInbox
    private let logger: Logger
    /// Set while connected; read by status reporting.
    public let state = DiscoveryState()

    public init(client: DockerClient, inbox: TargetInbox, logger: Logger) {
        self.client = client
        self.inbox = inbox
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
        await client.shutdown()
    }

    private func loop() async {
            var backoff: Duration = .milliseconds(100)
            var wasLost = false
            while !Task.isCancelled {
                do {
                    let since = Date().timeIntervalSince1970 - 1
                    let targets = try await self.listTargets()
                    self.inbox.post(.replaceAll(targets))
                    self.state.setConnected(true, detail: "docker:\(self.client.socketPath)")
                    if wasLost {
                        self.logger.notice("Docker connection regained", metadata: ["containers": "\(targets.count)"])
                    } else {
                        self.logger.info(
                            "connected to Docker",
                            metadata: ["socket": "\(self.client.socketPath)", "containers": "\(targets.count)"])
                    }
                    wasLost = false
                    backoff = .milliseconds(100)
                    try await self.client.followEvents(since: since) { event in await self.handle(event) }
                } catch {
                    if Task.isCancelled { break }
                    self.state.setConnected(false, detail: "Docker ne répond pas sur \(self.client.socketPath): \(error)")
                    if !wasLost {
                        self.logger.warning("Docker connection lost", metadata: ["error": "\(error)"])
                        wasLost = true
                    }
                    await self.waitForSocket(atLeast: backoff, atMost: .seconds(5))
                    backoff = min(backoff * 2, .seconds(1))
                }
            }
    }

    /// Waits before the next attempt: `atLeast` while Docker's socket accepts (its API failed: back off), but as
    /// soon as it accepts again after refusing (dockerd is back), and at most `atMost`.
    private func waitForSocket(atLeast minimum: Duration, atMost maximum: Duration) async {
        let step = Duration.milliseconds(250)
        var waited = Duration.zero
        var refused = false
        while waited < maximum, !Task.isCancelled {
            if UnixSocketProbe.accepts(client.socketPath) {
                if refused || waited >= minimum { return }
            } else {
                refused = true
            }
            let nap = refused ? step : min(step, minimum - waited)
            try? await Task.sleep(for: nap)
            waited += nap
        }
    }

    /// Every running container, with its pid — or without (`pids: false`: one Engine call instead of one per
    /// container, for `stats`; the collector then takes a pid from the container's own cgroup.procs).
    public func listTargets(pids: Bool = true) async throws -> [CollectionTarget] {
        var targets: [CollectionTarget] = []
        for listed in try await client.listContainers() {
            let identity = ContainerIdentity(
                id: listed.Id, name: listed.Names?.first ?? listed.Id, image: listed.Image, labels: listed.Labels ?? [:])
            let pid = pids ? try? await client.pid(of: listed.Id) : nil
            targets.append(CollectionTarget(identity: identity, pid: pid ?? nil))
        }
        return targets
    }

    private func handle(_ event: DockerClient.Event) async {
        if event.Type == "network" {
            // `network connect`/`disconnect` name the container in their attributes: its interfaces changed,
            // so its host-side veth mapping is made again.
            if event.Action == "connect" || event.Action == "disconnect", let id = event.Actor?.Attributes?["container"] {
                inbox.post(.refresh(id: id))
            }
            return
        }
        guard event.Type == nil || event.Type == "container", let id = event.Actor?.ID, let action = event.Action else {
            return
        }
        var attributes = event.Actor?.Attributes ?? [:]
        let name = attributes.removeValue(forKey: "name") ?? id
        let image = attributes.removeValue(forKey: "image")
        switch action {
        case "start", "restart", "unpause", "rename":
            // Event attributes carry the labels; whatever else they hold (exitCode, oldName) is not a label.
            for key in ["exitCode", "oldName", "signal"] { attributes.removeValue(forKey: key) }
            let identity = ContainerIdentity(id: id, name: name, image: image, labels: attributes)
            let pid = action == "rename" ? nil : ((try? await client.pid(of: id)) ?? nil)
            inbox.post(.upsert(CollectionTarget(identity: identity, pid: pid)))
        case "die", "destroy":
            inbox.post(.remove(id: id))
        case "update":
            // `docker update --memory …`: the limit is read at once instead of within the second.
            inbox.post(.refresh(id: id))
        default:
            break
        }
    }
}
