import Foundation
import Logging
import MonitorCore

/// A copy of the hand-written cgroup v2 / procfs fixture tree in a fresh temporary directory, so tests can
/// rewrite counter files. Removed when the value is deinitialised.
final class FixtureTree {
    static let containerID = "3f1c2b4a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8"
    let root: URL
    var cgroupRoot: String { root.appendingPathComponent("cgroup2").path }
    var procRoot: String { root.appendingPathComponent("proc").path }
    var containerDir: String { cgroupRoot + "/system.slice/docker-\(Self.containerID).scope" }

    /// A private copy of `Fixtures/` (the hand-written tree), or of `Fixtures/<set>` (a captured one).
    init(set: String? = nil) throws {
        var source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        if let set { source.appendPathComponent(set) }
        root = FileManager.default.temporaryDirectory.appendingPathComponent("wakedock-fixture-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: root)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ text: String, to relative: String) throws {
        try text.write(toFile: containerDir + "/" + relative, atomically: false, encoding: .utf8)
    }

    func writeNetdev(rx: UInt64, tx: UInt64) throws {
        let text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:   99999     999    0    0    0     0          0         0    99999     999    0    0    0     0       0          0
              eth0: \(rx)    1000    0    0    0     0          0         0  \(tx)    2000    0    0    0     0       0          0

            """
        try text.write(toFile: procRoot + "/4242/net/dev", atomically: false, encoding: .utf8)
    }
}

/// Keeps every tick's samples.
final class CapturingSink: SampleSink {
    var ticks: [[Sample]] = []
    var last: [Sample] { ticks.last ?? [] }

    func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        var copy: [Sample] = []
        for i in samples.indices { copy.append(samples[i]) }
        ticks.append(copy)
    }
}

let testLogger = Logger(label: "wakedock.tests")
