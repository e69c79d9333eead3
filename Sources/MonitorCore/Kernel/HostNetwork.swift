import CSupport
import Foundation

/// The host's own `/proc/net/dev`, read once per tick, interface by interface: every bridge-networked
/// container's counters are its host-side veth peers' (rx and tx swapped), so one read serves them all
/// instead of one `/proc/<pid>/net/dev` per network namespace (see `NamespaceLinks` for the mapping).
///
/// "Host" is the daemon's own network namespace: run in a container without the host's network, no veth
/// peer is found and every container falls back to its namespace's file. Not thread-safe: the collector's.
public final class HostNetwork {
    /// An interface name as the kernel's 16 bytes, NUL-padded.
    public struct Name: Hashable, Sendable, CustomStringConvertible {
        var words: (UInt64, UInt64)

        init(_ i: wd_netdev_iface) { words = (i.name.0, i.name.1) }

        public init?(_ string: String) {
            let utf8 = Array(string.utf8)
            guard !utf8.isEmpty, utf8.count < 16 else { return nil }
            var bytes = [UInt8](repeating: 0, count: 16)
            bytes.replaceSubrange(0..<utf8.count, with: utf8)
            words = bytes.withUnsafeBytes { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
        }

        public static func == (a: Name, b: Name) -> Bool { a.words.0 == b.words.0 && a.words.1 == b.words.1 }
        public func hash(into h: inout Hasher) {
            h.combine(words.0)
            h.combine(words.1)
        }

        public var description: String {
            withUnsafeBytes(of: words) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
    }

    private let procRoot: String
    private let sysClassNet: String
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var interfaces: UnsafeMutableBufferPointer<wd_netdev_iface>
    /// Interfaces in the latest successful read.
    public private(set) var count = 0
    /// Changes whenever the list of names changes (an interface came or went, or was renamed).
    public private(set) var generation: UInt64 = 0
    private var namesDigest: UInt64 = 0
    private var positions: [Name: Int] = [:]
    /// Host interfaces by the peer index they point at (`iflink`), for the veths among them; built from
    /// sysfs on demand, once per generation.
    private var peersByIflink: [Int32: [Name]] = [:]
    private var peersGeneration: UInt64 = .max

    public init(procRoot: String, sysRoot: String = "/sys") {
        self.procRoot = procRoot
        sysClassNet = sysRoot + "/class/net"
        fd = wd_open_ro(procRoot + "/net/dev")
        buffer = .allocate(byteCount: 16 * 1024, alignment: 16)
        interfaces = .allocate(capacity: 64)
    }

    deinit {
        wd_close(fd)
        buffer.deallocate()
        interfaces.deallocate()
    }

    public var isAvailable: Bool { fd >= 0 }

    /// Monotonic time of the latest successful read.
    private var readAtNanos: UInt64 = 0

    /// Whether the latest read is at most `nanos` old.
    public func isFresh(withinNanos nanos: UInt64) -> Bool {
        readAtNanos != 0 && Clocks.monotonicNanos() &- readAtNanos <= nanos
    }

    /// Reads the host's counters. false when the file cannot be read (the previous read's values stay).
    /// Allocates only when the host gained interfaces beyond what the buffers hold, or its names changed.
    @discardableResult
    public func refresh() -> Bool {
        guard fd >= 0 else { return false }
        var n = 0
        while true {
            n = wd_pread_all(fd, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)
            // More than the buffer holds (a host with hundreds of veths): grow and read again from the start.
            guard n == -Int(ENOBUFS), buffer.count < 64 << 20 else { break }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            buffer.deallocate()
            buffer = bigger
        }
        guard n >= 0 else { return false }
        var found = 0
        while true {
            found = wd_parse_netdev_interfaces(
                buffer.baseAddress!.assumingMemoryBound(to: CChar.self), n, interfaces.baseAddress, interfaces.count)
            guard found >= 0 else { return false }
            guard found > interfaces.count else { break }
            interfaces.deallocate()
            interfaces = .allocate(capacity: found * 2)
        }
        count = found
        readAtNanos = Clocks.monotonicNanos()
        // A cheap digest of the names in order: when it moves, the positions are rebuilt.
        var digest: UInt64 = 14_695_981_039_346_656_037
        for i in 0..<found {
            digest = (digest ^ interfaces[i].name.0) &* 1_099_511_628_211
            digest = (digest ^ interfaces[i].name.1) &* 1_099_511_628_211
        }
        digest ^= UInt64(found)
        if digest != namesDigest {
            namesDigest = digest
            generation &+= 1
            positions.removeAll(keepingCapacity: true)
            for i in 0..<found { positions[Name(interfaces[i])] = i }
        }
        return true
    }

    /// Where `name` is in the latest read, trying `hint` (its position last time) before the table.
    @inline(__always)
    public func position(of name: Name, hint: Int) -> Int? {
        if hint < count, Name(interfaces[hint]) == name { return hint }
        return positions[name]
    }

    /// The counters at `position` of the latest read, as the host side sees them.
    @inline(__always)
    public func counters(at position: Int) -> wd_netdev_iface { interfaces[position] }

    /// The host veths whose peer is interface `ifindex` of another namespace. More than one when veths were
    /// made inside their namespaces (CNI plugins do: every container's eth0 is then index 2 or so); Docker
    /// makes both ends here and moves one, so its indexes are unique.
    public func peers(ofIfindex ifindex: Int32) -> [Name] {
        if peersGeneration != generation {
            peersByIflink = [:]
            for i in 0..<count {
                let name = Name(interfaces[i])
                let dir = "\(sysClassNet)/\(name)"
                // A veth's iflink is its peer's index; a physical device's, a bridge's or a macvlan's parent
                // index is its own or a host device's, never a container's.
                guard let own = Self.readInt(dir + "/ifindex"), let link = Self.readInt(dir + "/iflink"), own != link else {
                    continue
                }
                peersByIflink[link, default: []].append(name)
            }
            peersGeneration = generation
        }
        return peersByIflink[ifindex] ?? []
    }

    private static func readInt(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
