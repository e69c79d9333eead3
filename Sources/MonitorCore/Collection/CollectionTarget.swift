import Synchronization

/// A container the collector should watch, as discovery describes it.
public struct CollectionTarget: Sendable {
    public var identity: ContainerIdentity
    /// A process in the container (for its cgroup paths and its network namespace), when known.
    public var pid: Int32?
    /// The container's relative cgroup path ("/docker/<id>"), when discovery found it in the tree.
    public var cgroupPath: String?

    public init(identity: ContainerIdentity, pid: Int32? = nil, cgroupPath: String? = nil) {
        self.identity = identity
        self.pid = pid
        self.cgroupPath = cgroupPath
    }
}

/// What discovery tells the collector.
public enum TargetChange: Sendable {
    /// Watch this container (or refresh what we know of it: a rename, a new pid).
    case upsert(CollectionTarget)
    /// Stop watching this container id.
    case remove(id: String)
    /// Read every file of this container on the next tick and map its network again (Docker `update`: its
    /// limits changed; `network connect`/`disconnect`: its interfaces did).
    case refresh(id: String)
    /// The complete set of running containers (after a listing): anything else is dropped.
    case replaceAll([CollectionTarget])
}

/// Hands target changes from discovery tasks to the collector, which drains them at the start of a tick.
/// Checking an empty inbox takes the lock once and allocates nothing.
public final class TargetInbox: Sendable {
    private let pending = Mutex<[TargetChange]>([])

    public init() {}

    public func post(_ change: TargetChange) {
        pending.withLock { $0.append(change) }
    }

    /// Everything posted since the last call, oldest first (empty without allocating when nothing came).
    func drain() -> [TargetChange] {
        pending.withLock { changes in
            if changes.isEmpty { return [] }
            let taken = changes
            changes = []
            return taken
        }
    }
}
