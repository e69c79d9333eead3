/// How a user names a container, everywhere: a REST path or filter, a WebSocket subscription's
/// `container_ids`, a history query, the `stats` command. The rule is Docker's: the container's name, its full
/// id, or a prefix of its id at least `minimumPrefixLength` characters long. (The history reader applies the
/// same rule to the bytes of a stored line, without decoding it: `StoredRecords`.)
public struct ContainerReference: Sendable, Hashable {
    public let text: String

    /// Shorter prefixes name no container: "a" or "1f" would match a good share of any host's ids.
    public static let minimumPrefixLength = 3

    public init(_ text: String) { self.text = text }

    /// Whether the reference is long enough to name a container by a prefix of its id.
    public var mayBeIDPrefix: Bool { text.utf8.count >= Self.minimumPrefixLength }

    /// The container's name or full id, exactly.
    public func matchesExactly(id: String, name: String) -> Bool { text == name || text == id }

    /// The container's name, full id, or an id prefix (see `mayBeIDPrefix`).
    public func matches(id: String, name: String) -> Bool {
        matchesExactly(id: id, name: name) || (mayBeIDPrefix && id.hasPrefix(text))
    }

    public func matches(_ identity: ContainerIdentity) -> Bool { matches(id: identity.id, name: identity.name) }
}
