import CSupport
import Foundation

/// A container's network interfaces seen from the host: for each interface of its namespace but `lo`, the
/// host-side veth peer whose counters are the interface's, rx and tx swapped (a veth's rx is its peer's tx:
/// the kernel keeps one counter for both). The mapping follows Netdata's cgroup-network: an interface's index
/// in the namespace is its host peer's `iflink`; it needs no privilege beyond reading `/proc/<pid>/net`
/// (`igmp` gives the indexes), so the DynamicUser daemon can do it.
///
/// Found once when a container is attached, and again when its veth goes away or Docker says its networks
/// changed; everything else about it is on the tick, allocation-free (`HostLinks`).
public enum NamespaceLinks {
    public enum Resolution: Equatable {
        /// Every interface has a host peer (none at all for `--network none`).
        case host([HostNetwork.Name])
        /// Read the namespace's own file: an interface without a veth peer (macvlan, ipvlan, the host's own
        /// network), several veths that point at its index with the same counters (idle CNI containers), or
        /// unreadable files.
        case namespace(reason: String)
    }

    /// The namespace of `pid`, mapped onto `host` (refreshed here unless it was within the last 50 ms: many
    /// containers discovered at once share one host read).
    public static func resolve(pid: Int32, procRoot: String, host: HostNetwork) -> Resolution {
        guard host.isAvailable else { return .namespace(reason: "host /proc/net/dev unreadable") }
        guard let indexes = interfaceIndexes(igmp: "\(procRoot)/\(pid)/net/igmp") else {
            return .namespace(reason: "no igmp table")
        }
        guard let inside = interfaces(netdev: "\(procRoot)/\(pid)/net/dev") else {
            return .namespace(reason: "net/dev unreadable")
        }
        let names = Set(inside.keys)
        guard names == Set(indexes.keys) else {
            // An interface that is down, or has IPv4 off, has no all-hosts membership, so no igmp line: it
            // cannot be indexed from here.
            return .namespace(reason: "interfaces without an index: \(names.symmetricDifference(indexes.keys).sorted())")
        }
        guard host.isFresh(withinNanos: 50_000_000) || host.refresh() else {
            return .namespace(reason: "host /proc/net/dev unreadable")
        }
        var peers: [HostNetwork.Name] = []
        for (name, ifindex) in indexes.sorted(by: { $0.value < $1.value }) {
            guard let own = inside[name] else { return .namespace(reason: "\(name) vanished") }
            // Among the veths pointing at this index, the one whose counters are this interface's, swapped.
            let matching = host.peers(ofIfindex: ifindex).filter { peer in
                host.position(of: peer, hint: 0).map { agree(inside: own, host: host.counters(at: $0)) } ?? false
            }
            guard matching.count == 1 else {
                return .namespace(
                    reason: matching.isEmpty
                        ? "\(name) has no host veth peer with its counters"
                        : "\(name) matches \(matching.count) host veths (same index, same counters)")
            }
            peers.append(matching[0])
        }
        return .host(peers)
    }

    /// The same counters read a few milliseconds apart, either side first: equal but for what moved in
    /// between (1 % and 4 MiB of slack). A wrong pairing is off by whole streams, not by that.
    static func agree(inside: wd_netdev_iface, host: wd_netdev_iface) -> Bool {
        func close(_ a: UInt64, _ b: UInt64, slack: UInt64) -> Bool {
            (a > b ? a - b : b - a) <= slack + max(a, b) / 100
        }
        return close(inside.tx_bytes, host.rx_bytes, slack: 4 << 20) && close(inside.rx_bytes, host.tx_bytes, slack: 4 << 20)
            && close(inside.tx_packets, host.rx_packets, slack: 4096) && close(inside.rx_packets, host.tx_packets, slack: 4096)
    }

    /// `/proc/<pid>/net/igmp`: "Idx\tDevice    : Count Querier\tGroup Users Timer\tReporter" then, per
    /// interface that is up with IPv4 (it joins 224.0.0.1), "2\teth0      :     1      V3" and its group lines
    /// (tab-led). lo left out.
    static func interfaceIndexes(igmp path: String) -> [String: Int32]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var indexes: [String: Int32] = [:]
        for line in text.split(separator: "\n").dropFirst() where line.first?.isNumber == true {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == ":" })
            guard fields.count >= 2, let index = Int32(fields[0]) else { continue }
            let name = String(fields[1])
            if name != "lo" { indexes[name] = index }
        }
        return indexes
    }

    /// A namespace's interfaces but lo, with their counters.
    static func interfaces(netdev path: String) -> [String: wd_netdev_iface]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let data = Array(text.utf8)
        var parsed = [wd_netdev_iface](repeating: wd_netdev_iface(), count: 64)
        let found = data.withUnsafeBytes { raw in
            wd_parse_netdev_interfaces(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &parsed, parsed.count)
        }
        guard found >= 0, found <= parsed.count else { return nil }
        var result: [String: wd_netdev_iface] = [:]
        for i in parsed.prefix(found) {
            let name = HostNetwork.Name(i).description
            if name != "lo" { result[name] = i }
        }
        return result
    }
}
