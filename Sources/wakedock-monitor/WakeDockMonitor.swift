import ArgumentParser
import MonitorApp

@main
struct WakeDockMonitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wakedock-monitor",
        abstract: "Real-time container monitoring from the kernel's own counters.",
        subcommands: [ServeCommand.self, StatsCommand.self, SettingsCommand.self, TokenCommand.self],
        defaultSubcommand: ServeCommand.self)
}
