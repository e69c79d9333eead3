import CSupport
import Foundation
import Logging
import MonitorCore
import MonitorDocker
import MonitorHealth
import ServiceLifecycle

/// Wires the engine from settings: the cgroup layout, the collector, and the discovery that feeds it
/// (the Docker Engine when its socket exists, else a scan of the cgroup tree).
public struct Engine {
    public enum DiscoveryMode: String {
        case docker
        case cgroupScan = "cgroup-scan"
    }

    public let layout: CgroupLayout
    public let collector: Collector
    public let discoveryMode: DiscoveryMode

    public enum StartError: Error, CustomStringConvertible {
        case cgroups(String)
        public var description: String {
            switch self { case .cgroups(let why): "cannot read cgroups: \(why)" }
        }
    }

    /// `cadence`: how often the collector reads each file (`stats`, a one-shot read, wants every file).
    public init(settings: Settings, logger: Logger, cadence: ReadCadence = .standard, health: HealthRegistry = HealthRegistry()) throws {
        let mountinfo = try? String(contentsOfFile: settings.procRoot + "/self/mountinfo", encoding: .utf8)
        do {
            layout = try CgroupLayout.detect(root: settings.cgroupRoot, mountinfo: mountinfo)
        } catch {
            throw StartError.cgroups("\(error)")
        }
        collector = Collector(
            options: .init(layout: layout, procRoot: settings.procRoot, ringCapacity: settings.ringCapacity, cadence: cadence),
            logger: logger, health: health)
        discoveryMode = FileManager.default.fileExists(atPath: settings.dockerSocket) ? .docker : .cgroupScan
    }

    /// The long-running discovery service for `serve`, and the state it reports (for `/status`).
    func discoveryService(settings: Settings, logger: Logger) -> (service: any Service, state: DiscoveryState) {
        switch discoveryMode {
        case .docker:
            let discovery = DockerDiscovery(
                client: DockerClient(socketPath: settings.dockerSocket), inbox: collector.inbox, logger: logger)
            return (discovery, discovery.state)
        case .cgroupScan:
            let discovery = CgroupScanDiscovery(
                scanner: CgroupScanner(layout: layout), inbox: collector.inbox,
                rescanInterval: max(settings.collectionInterval, .seconds(2)), logger: logger)
            return (discovery, discovery.state)
        }
    }

    /// One listing, for `stats`: Docker's when it answers, else the cgroup scan.
    public func discoverOnce(settings: Settings, logger: Logger, pids: Bool = true) async -> (targets: [CollectionTarget], mode: DiscoveryMode) {
        if discoveryMode == .docker {
            let client = DockerClient(socketPath: settings.dockerSocket)
            do {
                let discovery = DockerDiscovery(client: client, inbox: collector.inbox, logger: logger)
                let targets = try await discovery.listTargets(pids: pids)
                await client.shutdown()
                return (targets, .docker)
            } catch {
                logger.warning(
                    "Docker did not answer; naming containers from the cgroup tree",
                    metadata: ["socket": "\(settings.dockerSocket)", "error": "\(error)"])
                await client.shutdown()
            }
        }
        return (CgroupScanner(layout: layout).scan(), .cgroupScan)
    }
}
