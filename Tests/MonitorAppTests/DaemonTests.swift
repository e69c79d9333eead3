import Foundation
import Logging
import MonitorApp
import ServiceLifecycle
import Testing

/// `Daemon.build` in process: the whole daemon wired from settings (this host's real cgroups, no Docker socket,
/// a port the kernel picks, history in a temporary folder) starts, runs and stops on a graceful shutdown
/// without hanging. (What it serves is the e2e suite's business, against the binary.)
@Suite struct DaemonTests {
    @Test func theDaemonRunsAndStopsGracefully() async throws {
        let storage = FileManager.default.temporaryDirectory.appendingPathComponent("wd-daemon-test-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: storage) }
        let settings = try Settings.load(environment: [
            "WAKEDOCK_METRICS_INTERVAL": "0.2", "WAKEDOCK_PORT": "0", "WAKEDOCK_METRICS_STORAGE_PATH": storage,
            "WAKEDOCK_DOCKER_SOCKET": "/nonexistent/docker.sock",
        ])
        var logger = Logger(label: "wakedock.test")
        logger.logLevel = .warning
        let group = try Daemon.build(settings: settings, logger: logger, environment: [:], logTarget: (.stderr, "test"))
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(1500))
        await group.triggerGracefulShutdown()
        try await running.value
        // Every service ended (the store's final flush included) and the history folder was made.
        #expect(FileManager.default.fileExists(atPath: storage))
    }
}
