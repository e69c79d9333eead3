import CSupport

/// What keeps a container's network totals from going back: added to each fresh read, and raised whenever a
/// fresh read (offset included) comes out below the previous sample's — the source changed (host side ↔
/// namespace file, whose veth counters started again) or a counter restarted.
struct NetworkOffset {
    private var rxBytes: UInt64 = 0
    private var rxPackets: UInt64 = 0
    private var txBytes: UInt64 = 0
    private var txPackets: UInt64 = 0

    @inline(__always)
    mutating func apply(to raw: inout wd_raw, after previous: wd_raw?) {
        Self.carry(&raw.net_rx_bytes, &rxBytes, previous?.net_rx_bytes)
        Self.carry(&raw.net_rx_packets, &rxPackets, previous?.net_rx_packets)
        Self.carry(&raw.net_tx_bytes, &txBytes, previous?.net_tx_bytes)
        Self.carry(&raw.net_tx_packets, &txPackets, previous?.net_tx_packets)
    }

    @inline(__always)
    private static func carry(_ value: inout UInt64, _ offset: inout UInt64, _ previous: UInt64?) {
        value &+= offset
        if let previous, value < previous {
            offset &+= previous - value
            value = previous
        }
    }
}

/// A container whose network counters come from the host's `/proc/net/dev` read (`HostNetwork`): its veth
/// peers, where each was in the latest host read, their last counters, and what veths that went away had
/// counted. Read on every tick without allocating; remapped (allocating) only when its veths change.
struct HostLinks {
    struct Link {
        let name: HostNetwork.Name
        /// Its position in the latest host read: checked first, the name table only when it moved.
        var hint: Int
        /// Its last host-side counters.
        var last: wd_netdev_iface
    }

    private(set) var links: [Link] = []
    /// The final counters of veths that went away (a `docker network disconnect`/`connect`, a recreated
    /// veth), container side: added to the live ones so that the container's totals never go back.
    private var retired = wd_netdev_iface()

    /// The container's totals: its peers' host counters with rx and tx swapped (what the host side receives,
    /// the container sent), plus the retired ones. `complete` is false when a peer is missing from the host
    /// read; its last counters stand in until the container is mapped again.
    @inline(__always)
    mutating func read(from host: HostNetwork) -> (totals: wd_netdev_iface, complete: Bool) {
        var complete = true
        var total = retired
        for j in links.indices {
            if let position = host.position(of: links[j].name, hint: links[j].hint) {
                links[j].hint = position
                links[j].last = host.counters(at: position)
            } else {
                complete = false
            }
            total.rx_bytes &+= links[j].last.tx_bytes
            total.rx_packets &+= links[j].last.tx_packets
            total.tx_bytes &+= links[j].last.rx_bytes
            total.tx_packets &+= links[j].last.rx_packets
        }
        return (total, complete)
    }

    /// Moves to `peers`: a peer kept carries on; one gone has its last counters retired; a new one counts
    /// in full (its counters began with it).
    mutating func remap(to peers: [HostNetwork.Name], host: HostNetwork) {
        var next: [Link] = []
        for name in peers {
            if let kept = links.first(where: { $0.name == name }) {
                next.append(kept)
            } else {
                let position = host.position(of: name, hint: 0)
                next.append(Link(name: name, hint: position ?? 0, last: position.map(host.counters(at:)) ?? wd_netdev_iface()))
            }
        }
        for gone in links where !peers.contains(gone.name) {
            retired.rx_bytes &+= gone.last.tx_bytes
            retired.rx_packets &+= gone.last.tx_packets
            retired.tx_bytes &+= gone.last.rx_bytes
            retired.tx_packets &+= gone.last.rx_packets
        }
        links = next
    }
}
