import CSupport
import Glibc
import Logging
import MonitorHealth
import Synchronization

/// The collection tick: reads every watched container's counter files through its probe — each file at the
/// rate `ReadCadence` gives it, the others carried from their last read — derives a sample, appends it to the
/// container's ring and hands the tick's samples to the sinks.
///
/// In steady state (no container came or went) a tick allocates nothing: probes, rings, the read buffer and
/// the batch of samples are all created ahead of time and reused. Not thread-safe: one task owns it and
/// calls `tick()`; other threads talk to it through `inbox` (target changes), `registry` and `statistics`.
public final class Collector {
    public struct Options: Sendable {
        public var layout: CgroupLayout
        public var procRoot: String
        /// Samples kept per container in memory.
        public var ringCapacity: Int
        /// How often each file is read.
        public var cadence: ReadCadence
        /// Network counters from the host's one `/proc/net/dev` read for every container whose interfaces
        /// all have a host veth peer (false: each namespace's own file, as before; for comparisons).
        public var hostSideNetwork: Bool
        /// Where `/class/net` is (the host's interfaces' `ifindex` and `iflink`).
        public var sysRoot: String

        public init(
            layout: CgroupLayout, procRoot: String = "/proc", ringCapacity: Int = 720, cadence: ReadCadence = .standard,
            hostSideNetwork: Bool = true, sysRoot: String = "/sys"
        ) {
            self.layout = layout
            self.procRoot = procRoot
            self.ringCapacity = ringCapacity
            self.cadence = cadence
            self.hostSideNetwork = hostSideNetwork
            self.sysRoot = sysRoot
        }
    }

    /// One watched container.
    struct Slot {
        let probe: Probe
        var series: ContainerSeries
        var previous = wd_raw()
        var current = wd_raw()
        var hasPrevious = false
        var previousMonotonic: UInt64 = 0
        /// Block I/O is read once a second: its rates span two real reads (see SpanRate).
        var blockRead = SpanRate()
        var blockWrite = SpanRate()
        /// Memory usage when memory.stat was last read: when usage has moved by more than half the 1 %
        /// tolerance since, memory.stat (inactive_file, subtracted from usage) is read at once, not within
        /// the second (a container filling or dropping page cache would otherwise be off by what it moved).
        var usageAtStatRead: UInt64 = 0
        var memoryAtStatRead: UInt64 = 0
        /// Files whose values in `current` came from a successful read, this tick or an earlier one.
        var knownMask: UInt32 = 0
        /// Read every file on the next tick, whatever the cadence: a new container, or Docker said its
        /// limits changed (`update`).
        var readEverythingNext = true
        /// Set when the cgroup disappeared; the slot is dropped at the end of the tick.
        var vanished = false
        /// Network from the host's read (nil: the namespace's own /proc/<pid>/net/dev).
        var hostLinks: HostLinks?
        /// Added to every fresh network read so that the totals never go back when the source changes
        /// (host side ↔ namespace file) or a counter restarts (a recreated veth read from the namespace).
        var networkOffset = NetworkOffset()
        /// Which staggered copy of the cadence this container follows: fixed when it arrives, so that other
        /// containers leaving never shift it to another group (a skipped or doubled slow read).
        var cadenceGroup = 0
        /// A host peer went missing this tick: map the container's interfaces again after the tick's reads.
        var remapNetwork = false
    }

    public let options: Options
    public let inbox = TargetInbox()
    public let registry = SeriesRegistry()
    public let statistics: CollectorStatistics
    /// Where the collector counts its health; the daemon hands the same registry to every part.
    public let health: HealthRegistry
    private let logger: Logger
    private let host: HostCounters
    private let hostNetwork: HostNetwork
    /// Containers whose network comes from the host's read: none, and the host file is not read.
    private var hostLinkedSlots = 0
    /// The cadence group the next container joins (round robin).
    private var nextCadenceGroup = 0
    /// The host interfaces' generation when mappings were last retried (see `remapWhereNeeded`).
    private var retriedAtGeneration: UInt64 = 0

    private var slots: ContiguousArray<Slot> = []
    private var batch: ContiguousArray<Sample> = []
    private var sinks: [any SampleSink] = []
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var sequence: UInt64 = 0
    /// The cadence in `cadenceGroups` staggered copies: container i follows copy i mod the count.
    private var cadences: ContiguousArray<ReadCadence>
    private var dueMasks: ContiguousArray<UInt32>
    static let cadenceGroups = 10

    /// Large enough for memory.stat and a net/dev with many interfaces.
    static let readBufferSize = 64 * 1024

    /// `health`: the registry the collector counts into (the daemon's; a test or benchmark may leave its own).
    public init(options: Options, logger: Logger, health: HealthRegistry = HealthRegistry()) {
        self.options = options
        self.logger = logger
        self.health = health
        self.statistics = CollectorStatistics(health: health)
        self.host = HostCounters(procRoot: options.procRoot)
        self.hostNetwork = HostNetwork(procRoot: options.procRoot, sysRoot: options.sysRoot)
        cadences = ContiguousArray(options.cadence.staggered(into: Self.cadenceGroups))
        dueMasks = ContiguousArray(repeating: 0, count: Self.cadenceGroups)
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        slots.reserveCapacity(256)
        batch.reserveCapacity(256)
    }

    deinit { readBuffer.deallocate() }

    public func add(sink: any SampleSink) { sinks.append(sink) }

    public var containerCount: Int { slots.count }

    /// Every descriptor the probes keep open, in read order (diagnostics; the benchmark's raw-read floor).
    public var openDescriptors: [Int32] { slots.flatMap(\.probe.openDescriptors) }

    /// The descriptors of these files in every probe, where open (the benchmark's six-file floor).
    public func descriptors(of kinds: [wd_file_kind]) -> [Int32] {
        slots.flatMap { slot in kinds.compactMap { slot.probe.descriptor($0) } }
    }

    // MARK: - Target changes (allocate; happen only when containers come and go)

    /// Applies what discovery posted since the last tick.
    func applyPendingChanges() {
        let changes = inbox.drain()
        guard !changes.isEmpty else { return }
        var membershipChanged = false
        for change in changes {
            switch change {
            case .upsert(let target):
                let id = target.identity.id
                upsert(target, existing: slots.firstIndex(where: { $0.series.identity.id == id }))
                membershipChanged = true
            case .remove(let id):
                remove(id: id, reason: "stopped")
                membershipChanged = true
            case .refresh(let id):
                // A `docker update` or a network (dis)connect changes no series: nothing to republish.
                if let i = slots.firstIndex(where: { $0.series.identity.id == id }) {
                    slots[i].readEverythingNext = true
                    mapNetwork(slotAt: i)
                    // A container sharing this one's namespace gets no event of its own; the retry on the host
                    // list's change may have run while Docker was still moving the new interface in (host peer
                    // up, namespace side not yet). The event comes once the connect is complete: map again
                    // those left without an interface.
                    for j in slots.indices where j != i && hasNoMappedInterface(slotAt: j) { mapNetwork(slotAt: j) }
                }
            case .replaceAll(let targets):
                // The cgroup scan posts its whole list every few seconds, almost always unchanged: matched in
                // one pass (by id, not a search per target: 1,000 containers made that a 20 ms tick every
                // 2 s), and the series list republished only when it changed.
                let keep = Set(targets.map(\.identity.id))
                for id in slots.map(\.series.identity.id) where !keep.contains(id) {
                    remove(id: id, reason: "no longer listed")
                    membershipChanged = true
                }
                var index = [String: Int](minimumCapacity: slots.count)
                for (i, slot) in slots.enumerated() { index[slot.series.identity.id] = i }
                for target in targets where upsert(target, existing: index[target.identity.id]) { membershipChanged = true }
            }
        }
        countHostLinkedSlots()
        guard membershipChanged else { return }
        registry.replace(with: slots.map(\.series))
        statistics.monitoredContainers.set(Int64(slots.count))
        let needed = slots.count + 64
        if batch.capacity < needed { batch.reserveCapacity(needed) }
    }

    /// Adds the container, or updates slot `existing` (the same container). Returns whether the list of
    /// series changed (a container added, or renamed: its series replaced).
    @discardableResult
    private func upsert(_ target: CollectionTarget, existing: Int?) -> Bool {
        if let i = existing {
            // Same container: keep the probe and the history, refresh the identity (rename) and the pid.
            var renamed = false
            if slots[i].series.identity.name != target.identity.name
                || slots[i].series.identity.labels != target.identity.labels
            {
                slots[i].series = slots[i].series.renamed(to: target.identity)
                renamed = true
            }
            if let pid = target.pid, pid != slots[i].probe.pid {
                slots[i].probe.attachNetwork(pid: pid)
                mapNetwork(slotAt: i)
            }
            return renamed
        }
        guard let directories = resolveDirectories(target) else {
            logger.warning(
                "container cgroup not found; not monitored",
                metadata: ["container_id": "\(target.identity.id)", "container_name": "\(target.identity.name)"])
            return false
        }
        let probe = Probe(
            directories: directories, version: options.layout.fileVersion, pid: target.pid, procRoot: options.procRoot)
        if target.pid == nil, let pid = probe.findLivePid() { probe.attachNetwork(pid: pid) }
        guard probe.isOpen(WD_F_CPU_USAGE) || probe.isOpen(WD_F_MEM_USAGE) else {
            logger.warning(
                "container counters cannot be opened; not monitored",
                metadata: ["container_id": "\(target.identity.id)", "container_name": "\(target.identity.name)"])
            return false
        }
        var slot = Slot(
            probe: probe,
            series: ContainerSeries(identity: target.identity, capacity: options.ringCapacity, cgroupPath: directories.relativePath))
        slot.cadenceGroup = nextCadenceGroup
        nextCadenceGroup = (nextCadenceGroup + 1) % Self.cadenceGroups
        slots.append(slot)
        mapNetwork(slotAt: slots.count - 1)
        logger.info(
            "container discovered",
            metadata: [
                "container_id": "\(target.identity.id)", "container_name": "\(target.identity.name)",
                "service_name": "\(target.identity.serviceName ?? "")",
            ])
        return true
    }

    private func resolveDirectories(_ target: CollectionTarget) -> CgroupLayout.ContainerDirectories? {
        let layout = options.layout
        if let path = target.cgroupPath { return layout.directories(relative: path) }
        if let pid = target.pid,
            let text = try? String(contentsOfFile: "\(options.procRoot)/\(pid)/cgroup", encoding: .utf8)
        {
            let dirs = layout.directories(procCgroup: text)
            if dirs.memory != nil || dirs.cpuacct != nil { return dirs }
        }
        return layout.directories(containerID: target.identity.id)
    }

    private func remove(id: String, reason: String) {
        guard let i = slots.firstIndex(where: { $0.series.identity.id == id }) else { return }
        let identity = slots[i].series.identity
        slots.remove(at: i)  // the probe's deinit closes its descriptors
        logger.info(
            "container lost",
            metadata: ["container_id": "\(identity.id)", "container_name": "\(identity.name)", "reason": "\(reason)"])
    }

    // MARK: - The tick (allocation-free in steady state)

    /// Runs one collection: applies pending target changes, reads every container, derives and stores the
    /// samples, calls the sinks. Returns what happened. `now` (monotonic) decides which files are due; tests
    /// and the benchmarks pass a simulated one to play a cadence faster than real time.
    @discardableResult
    public func tick(at now: UInt64 = Clocks.monotonicNanos()) -> TickInfo {
        applyPendingChanges()
        for g in cadences.indices { dueMasks[g] = cadences[g].due(at: now) }
        let start = Clocks.monotonicNanos()
        let wall = Clocks.wallNanos()
        let systemCPU = host.systemCPUNanos(buffer: readBuffer)
        if hostLinkedSlots > 0 { hostNetwork.refresh() }
        batch.removeAll(keepingCapacity: true)

        var vanished = false
        for i in slots.indices {
            let due = dueMasks[slots[i].cadenceGroup]
            if !collect(slotAt: i, due: due, tickTime: now, tickStart: start, wall: wall, systemCPU: systemCPU) { vanished = true }
        }
        if vanished { dropVanished() }
        remapWhereNeeded()

        let duration = Clocks.monotonicNanos() &- start
        sequence &+= 1
        let info = TickInfo(sequence: sequence, wallNanos: wall, durationNanos: duration)
        statistics.recordTick(durationNanos: duration)
        statistics.samples.increment(by: Int64(batch.count))
        // A local reference (a retain, not a copy) lends the sinks a span that lives for this call only.
        let sinks = self.sinks
        let batch = self.batch
        let samples = batch.span
        for sink in sinks { sink.collector(didCollect: samples, tick: info) }
        return info
    }

    /// Reads one container. Returns false when its cgroup is gone (the slot is dropped after the loop).
    @inline(__always)
    private func collect(slotAt i: Int, due: UInt32, tickTime: UInt64, tickStart: UInt64, wall: Int64, systemCPU: UInt64) -> Bool {
        // The tick's time plus how far into the tick this read is: the real clock in the daemon, the simulated
        // one (with real offsets) in tests and benchmarks, so that rates and the cadence agree.
        let now = tickTime &+ (Clocks.monotonicNanos() &- tickStart)
        var mask = slots[i].readEverythingNext ? wd_file_kind.allBits : due
        slots[i].readEverythingNext = false
        if slots[i].hostLinks != nil { mask &= ~WD_F_NETDEV.bit }
        // Fields of files not in the mask keep their last read's values: `current` is only written per file.
        var failures = slots[i].probe.read(mask: mask, into: &slots[i].current, buffer: readBuffer)
        if slots[i].hostLinks != nil {
            let (totals, complete) = slots[i].hostLinks!.read(from: hostNetwork)
            if !complete { slots[i].remapNetwork = true }
            slots[i].current.net_rx_bytes = totals.rx_bytes
            slots[i].current.net_rx_packets = totals.rx_packets
            slots[i].current.net_tx_bytes = totals.tx_bytes
            slots[i].current.net_tx_packets = totals.tx_packets
            slots[i].current.ok_mask |= WD_F_NETDEV.bit
            mask |= WD_F_NETDEV.bit
        }
        if mask & WD_F_NETDEV.bit != 0, slots[i].current.ok_mask & WD_F_NETDEV.bit != 0 {
            var current = slots[i].current
            slots[i].networkOffset.apply(to: &current, after: slots[i].hasPrevious ? slots[i].previous : nil)
            slots[i].current = current
        }
        if mask & WD_F_MEM_STAT.bit == 0, slots[i].current.ok_mask & WD_F_MEM_USAGE.bit != 0, memoryMoved(slotAt: i) {
            failures += readMemoryStat(slotAt: i)
            mask |= WD_F_MEM_STAT.bit
        }
        if mask & WD_F_MEM_STAT.bit != 0 {
            // Read (or tried: a memory.stat that keeps failing is not retried every tick, only on the cadence
            // or when usage moves again).
            let c = slots[i].current
            slots[i].usageAtStatRead = c.mem_usage
            slots[i].memoryAtStatRead = c.mem_inactive_file < c.mem_usage ? c.mem_usage - c.mem_inactive_file : c.mem_usage
        }
        slots[i].knownMask = (slots[i].knownMask & ~mask) | slots[i].current.ok_mask
        if failures > 0 {
            let current = slots[i].current
            statistics.readErrors.increment(by: Int64(failures))
            if current.fail_mask & SampleDerivation.essentialMask != 0 {
                statistics.failedSamples.increment()
                // ENODEV/ENOENT/ESRCH: the cgroup was removed under us.
                let err = current.last_errno
                if err == ENODEV || err == ENOENT || err == ESRCH { slots[i].vanished = true; return false }
                return true
            }
            if current.fail_mask & WD_F_NETDEV.bit != 0 { reattachNetwork(slotAt: i) }
        }
        var sample = SampleDerivation.sample(
            identity: slots[i].series.identity, current: slots[i].current,
            previous: slots[i].hasPrevious ? slots[i].previous : nil, known: slots[i].knownMask,
            elapsedNanos: now > slots[i].previousMonotonic ? now - slots[i].previousMonotonic : 0, wallNanos: wall,
            systemCPUNanos: systemCPU,
            hostMemTotal: host.memTotalBytes)
        if slots[i].current.ok_mask & WD_F_BLKIO.bit != 0 {
            slots[i].blockRead.read(slots[i].current.blk_read_bytes, at: now)
            slots[i].blockWrite.read(slots[i].current.blk_write_bytes, at: now)
        } else if mask & WD_F_BLKIO.bit != 0 {
            // Due but unreadable: no rate rather than the last one held forever.
            slots[i].blockRead = SpanRate()
            slots[i].blockWrite = SpanRate()
        }
        sample.blockReadRate = slots[i].blockRead.perSecond
        sample.blockWriteRate = slots[i].blockWrite.perSecond
        let blockReadAt = slots[i].blockRead.baseTime
        sample.blockCountersAgeNanos = blockReadAt != 0 && now > blockReadAt ? Int64(clamping: now - blockReadAt) : 0
        slots[i].previous = slots[i].current
        slots[i].previousMonotonic = now
        slots[i].hasPrevious = true
        slots[i].series.append(sample)
        batch.append(sample)
        return true
    }

    /// Whether memory usage moved, since memory.stat was last read, by more than half the 1 % that reported
    /// memory may be off from a full read (and at least 64 KiB: idle containers move by a few pages).
    @inline(__always)
    private func memoryMoved(slotAt i: Int) -> Bool {
        let usage = slots[i].current.mem_usage, then = slots[i].usageAtStatRead
        let moved = usage > then ? usage - then : then - usage
        return moved > max(64 * 1024, slots[i].memoryAtStatRead / 200)
    }

    /// Reads memory.stat alone, keeping what the tick's first read found of the other files.
    private func readMemoryStat(slotAt i: Int) -> Int32 {
        let first = slots[i].current
        let failures = slots[i].probe.read(mask: WD_F_MEM_STAT.bit, into: &slots[i].current, buffer: readBuffer)
        slots[i].current.ok_mask |= first.ok_mask
        slots[i].current.fail_mask |= first.fail_mask
        if first.last_errno != 0 { slots[i].current.last_errno = first.last_errno }
        return failures
    }

    /// The process whose network namespace we read has exited: find another one in the container.
    private func reattachNetwork(slotAt i: Int) {
        let probe = slots[i].probe
        if let pid = probe.findLivePid(), pid != probe.pid, probe.attachNetwork(pid: pid) {
            mapNetwork(slotAt: i)
            return
        }
        probe.attachNetwork(pid: nil)
    }

    // MARK: - Network from the host side (allocates; only when a container's interfaces change)

    /// Maps the container's interfaces onto host veths (`NamespaceLinks`): its network is then summed from
    /// the host's one read and its own net/dev descriptor is closed; otherwise that file is read as before.
    private func mapNetwork(slotAt i: Int) {
        slots[i].remapNetwork = false
        guard options.hostSideNetwork else { return }
        let probe = slots[i].probe
        let identity = slots[i].series.identity
        guard let pid = probe.pid ?? probe.findLivePid() else {
            slots[i].hostLinks = nil
            return
        }
        var resolution = NamespaceLinks.resolve(pid: pid, procRoot: options.procRoot, host: hostNetwork)
        if case .namespace = resolution, let live = probe.findLivePid(), live != pid {
            // The pid we had may be gone: map through a live one.
            probe.attachNetwork(pid: live)
            resolution = NamespaceLinks.resolve(pid: live, procRoot: options.procRoot, host: hostNetwork)
        }
        switch resolution {
        case .host(let peers):
            if slots[i].hostLinks?.links.map(\.name) != peers {
                logger.debug(
                    "network counters from the host side",
                    metadata: ["container_name": "\(identity.name)", "veths": "\(peers.map(\.description))"])
            }
            if slots[i].hostLinks == nil { slots[i].hostLinks = HostLinks() }
            slots[i].hostLinks!.remap(to: peers, host: hostNetwork)
            probe.detachNetworkFile()
        case .namespace(let reason):
            if slots[i].hostLinks != nil || !probe.isOpen(WD_F_NETDEV) {
                slots[i].hostLinks = nil
                probe.attachNetwork(pid: probe.pid ?? pid)
            }
            logger.debug(
                "network counters from the container's namespace", metadata: ["container_name": "\(identity.name)", "reason": "\(reason)"])
        }
    }

    /// After the tick's reads: containers whose veth went missing are mapped again; and when the host's
    /// interfaces changed (a container started, a network was connected), those that read their namespace
    /// or have no interface try again (an interface not up yet, counters that moved too fast to compare).
    /// Nothing here runs in steady state: the tick stays allocation-free. A network connected to a running
    /// container is picked up from Docker's `network connect` event (`TargetChange.refresh`).
    private func remapWhereNeeded() {
        guard options.hostSideNetwork, !slots.isEmpty else { return }
        var changed = false
        for i in slots.indices where slots[i].remapNetwork {
            mapNetwork(slotAt: i)
            changed = true
        }
        if hostNetwork.generation != retriedAtGeneration {
            retriedAtGeneration = hostNetwork.generation
            // Those left without any interface too: a container sharing the namespace of one that was just
            // reconnected gets no Docker event of its own.
            for i in slots.indices where hasNoMappedInterface(slotAt: i) {
                mapNetwork(slotAt: i)
                changed = true
            }
        }
        if changed { countHostLinkedSlots() }
    }

    /// Reads its namespace's file or has no interface at all, with a pid to map through: worth another try
    /// when the host's interfaces change.
    private func hasNoMappedInterface(slotAt i: Int) -> Bool {
        (slots[i].hostLinks?.links.isEmpty ?? true) && slots[i].probe.pid != nil
    }

    private func countHostLinkedSlots() {
        var n = 0
        for slot in slots where slot.hostLinks != nil { n += 1 }
        hostLinkedSlots = n
        statistics.hostNetworkContainers.set(Int64(n))
    }

    private func dropVanished() {
        let gone = slots.filter(\.vanished).map(\.series.identity.id)
        for id in gone {
            remove(id: id, reason: "cgroup removed")
            statistics.vanishedContainers.increment()
        }
        registry.replace(with: slots.map(\.series))
        statistics.monitoredContainers.set(Int64(slots.count))
        countHostLinkedSlots()
    }
}
