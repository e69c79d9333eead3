import ArgumentParser
import Foundation
import Logging
import MonitorCore
import MonitorEncoding
import NIOCore

/// `wakedock-monitor stats`: every container once, like `docker stats --no-stream`, from two kernel reads a
/// short interval apart. No daemon needed.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print every container's usage once, like `docker stats --no-stream`.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @OptionGroup var common: CommonOptions

    @Option(help: "table (default) or json: one object per line with the fields of a sample.")
    var format: Format = .table
    @Option(
        name: .customLong("filter"),
        help: ArgumentHelp(
            "Only containers matching: name=X, service=X, project=X, id=PREFIX, or a bare X (name, service or id prefix). Repeatable; all must match.",
            valueName: "filter"))
    var filters: [String] = []
    @Option(help: "Seconds between the two reads that CPU % and rates come from (default 0.25).")
    var sampleInterval: Double = 0.25
    @Flag(help: "Show full container ids in the table.")
    var noTrunc = false

    func validate() throws {
        guard sampleInterval.isFinite, sampleInterval >= 0.01, sampleInterval <= 60 else {
            throw ValidationError("--sample-interval must be from 0.01 to 60 seconds")
        }
        for filter in filters where filter.isEmpty {
            throw ValidationError("--filter needs a value")
        }
    }

    func run() async throws {
        let settings = try common.loadSettings()
        let logger = LoggingSetup.bootstrap(level: common.logLevel == nil ? .warning : settings.logLevel).logger
        let engine: Engine
        do {
            engine = try Engine(settings: settings, logger: logger, cadence: .everything)
        } catch {
            FileHandle.standardError.write(Data("wakedock-monitor: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let (targets, _) = await engine.discoverOnce(settings: settings, logger: logger)
        let selected = targets.filter { target in filters.allSatisfy { Self.matches(target.identity, $0) } }

        let capture = LastTickCapture()
        engine.collector.add(sink: capture)
        engine.collector.inbox.post(.replaceAll(selected))
        engine.collector.tick()
        try await Task.sleep(for: .seconds(saturating: sampleInterval))
        engine.collector.tick()

        let samples = capture.samples.sorted { $0.container.name < $1.container.name }
        switch format {
        case .json:
            var buffer = ByteBuffer()
            for sample in samples {
                buffer.writeSampleJSON(sample, precision: .milliseconds)
                buffer.writeStaticString("\n")
            }
            FileHandle.standardOutput.write(Data(buffer.readableBytesView))
        case .table:
            print(StatsTable.render(samples, truncateIDs: !noTrunc), terminator: "")
        }
    }

    static func matches(_ identity: ContainerIdentity, _ filter: String) -> Bool {
        let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            switch parts[0] {
            case "name": return identity.name == parts[1]
            case "service": return identity.serviceName == parts[1]
            case "project": return identity.projectName == parts[1]
            case "id": return identity.id.hasPrefix(parts[1])
            default: return false
            }
        }
        return identity.name == filter || identity.serviceName == filter
            || (filter.count >= 3 && identity.id.hasPrefix(filter))
    }
}

/// Keeps the samples of the latest tick.
final class LastTickCapture: SampleSink {
    private(set) var samples: [Sample] = []

    func collector(didCollect samples: Span<Sample>, tick: TickInfo) {
        var copy: [Sample] = []
        copy.reserveCapacity(samples.count)
        for i in samples.indices { copy.append(samples[i]) }
        self.samples = copy
    }
}
