import Synchronization

/// Whether discovery is working, and how, for status reporting.
public final class DiscoveryState: Sendable {
    private let value = Mutex<(connected: Bool, detail: String)>((false, "starting"))

    public init() {}

    public func setConnected(_ connected: Bool, detail: String) {
        value.withLock { $0 = (connected, detail) }
    }

    public var connected: Bool { value.withLock { $0.connected } }
    public var detail: String { value.withLock { $0.detail } }
}
