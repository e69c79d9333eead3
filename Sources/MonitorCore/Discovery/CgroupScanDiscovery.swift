import Logging
import ServiceLifecycle

/// Discovery for hosts without a reachable Docker Engine: rescans the cgroup tree every `rescanInterval`
/// seconds and posts the complete set of containers found.
public final class CgroupScanDiscovery: Service {
    private let scanner: CgroupScanner
    private let inbox: TargetInbox
    private let rescanInterval: Duration
    private let logger: Logger
    public let state = DiscoveryState()

    public init(scanner: CgroupScanner, inbox: TargetInbox, rescanInterval: Duration, logger: Logger) {
        self.scanner = scanner
        self.inbox = inbox
        self.rescanInterval = rescanInterval
        self.logger = logger
    }

    public func run() async throws {
        state.setConnected(true, detail: "cgroup-scan:\(scanner.layout.scanRoot)")
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
            var lastCount = -1
            while !Task.isCancelled {
                let targets = self.scanner.scan()
                self.inbox.post(.replaceAll(targets))
                if targets.count != lastCount {
                    self.logger.debug("cgroup scan", metadata: ["containers": "\(targets.count)"])
                    lastCount = targets.count
                }
                try? await Task.sleep(for: self.rescanInterval)
            }
    }
}
