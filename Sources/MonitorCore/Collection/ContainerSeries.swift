import Synchronization

/// The recent samples of one container: a ring (`SampleRing`, delta-encoded) written by the collector once
/// per tick and read by whoever serves history. The lock is held for one append or one read, never across
/// I/O. Samples read back carry this series' identity (after a rename, the new name on the whole history).
public final class ContainerSeries: Sendable {
    public let identity: ContainerIdentity
    /// Its cgroup below the hierarchy's root (`/docker/<id>`), when known: the Prometheus `id` label.
    public let cgroupPath: String?
    fileprivate let ring: Mutex<SampleRing>

    public init(identity: ContainerIdentity, capacity: Int, cgroupPath: String? = nil) {
        self.identity = identity
        self.cgroupPath = cgroupPath
        self.ring = Mutex(SampleRing(capacity: capacity))
    }

    func append(_ sample: Sample) {
        ring.withLock { $0.append(sample) }
    }

    /// The newest sample, if any.
    public var latest: Sample? {
        guard var sample = ring.withLock({ $0.last }) else { return nil }
        sample.container = identity
        return sample
    }

    /// When the oldest sample still in memory was taken: history before it comes from the files.
    public var oldestTimestampNanos: Int64? { ring.withLock { $0.first(identity: identity)?.timestampNanos } }

    /// Up to `limit` samples, newest first, not older than `notBeforeNanos`.
    public func recent(limit: Int, notBeforeNanos: Int64 = .min) -> [Sample] {
        ring.withLock { ring in
            var out: [Sample] = []
            out.reserveCapacity(min(limit, ring.count))
            ring.forEachNewestFirst(identity: identity) { sample in
                guard out.count < limit, sample.timestampNanos >= notBeforeNanos else { return false }
                out.append(sample)
                return true
            }
            return out
        }
    }
}

extension ContainerSeries {
    /// The same history under a new identity (a rename or new labels).
    func renamed(to identity: ContainerIdentity) -> ContainerSeries {
        let copy = ContainerSeries(identity: identity, capacity: ring.withLock { $0.capacity }, cgroupPath: cgroupPath)
        let samples = recent(limit: .max)
        for sample in samples.reversed() { copy.append(sample) }
        return copy
    }
}

/// The series of every watched container, replaced as a whole when containers come and go, so readers on
/// other threads always see a consistent list.
public final class SeriesRegistry: Sendable {
    private let current = Mutex<[ContainerSeries]>([])

    public init() {}

    func replace(with series: [ContainerSeries]) { current.withLock { $0 = series } }

    public var all: [ContainerSeries] { current.withLock { $0 } }

    /// The series of the containers `visibility` lets a caller see (all of them, uncopied, when it sees all).
    public func all(visibleTo visibility: ContainerVisibility) -> [ContainerSeries] {
        visibility.isAll ? all : all.filter { visibility.sees($0.identity) }
    }

    public enum Lookup {
        case found(ContainerSeries)
        case notFound
        /// An id prefix that more than one container starts with.
        case ambiguous(count: Int)
    }

    /// Looks a container up by `ContainerReference`'s rule: exact name or full id first, then a unique id
    /// prefix.
    /// `visibility`: only the containers the caller may see are looked among (another's existence is not told,
    /// not even by an ambiguous prefix).
    public func lookup(_ text: String, among visibility: ContainerVisibility = .all) -> Lookup {
        let reference = ContainerReference(text)
        let all = self.all(visibleTo: visibility)
        if let exact = all.first(where: { reference.matchesExactly(id: $0.identity.id, name: $0.identity.name) }) {
            return .found(exact)
        }
        guard reference.mayBeIDPrefix else { return .notFound }
        let matches = all.filter { reference.matches($0.identity) }
        switch matches.count {
        case 0: return .notFound
        case 1: return .found(matches[0])
        default: return .ambiguous(count: matches.count)
        }
    }
}
