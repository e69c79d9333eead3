/// Which containers a caller may see: all of them, or those a token's claims name (SPEC §10) — by exact name,
/// full id or an id prefix of at least `minimumIDPrefixLength` characters (stricter than a query's 3: a claim
/// such as `db1` or `cafe` must not also grant every container whose hex id starts so), and/or by compose
/// service. Both lists given, a container must be in both: a claim only ever narrows. Applied alike to live
/// containers, history lines, alerts and streams.
public struct ContainerVisibility: Sendable, Equatable {
    public var containers: [String]?
    public var services: [String]?

    /// Docker's short ids: a prefix this long names one container in practice, and reads as an id.
    public static let minimumIDPrefixLength = 12

    public init(containers: [String]? = nil, services: [String]? = nil) {
        self.containers = containers
        self.services = services
    }

    public static let all = ContainerVisibility()

    public var isAll: Bool { containers == nil && services == nil }

    public func sees(id: String, name: String, service: String?) -> Bool {
        if let containers, !containers.contains(where: { claim in
            claim == name || claim == id || (claim.utf8.count >= Self.minimumIDPrefixLength && id.hasPrefix(claim))
        }) {
            return false
        }
        if let services {
            guard let service, services.contains(service) else { return false }
        }
        return true
    }

    public func sees(_ identity: ContainerIdentity) -> Bool {
        sees(id: identity.id, name: identity.name, service: identity.serviceName)
    }

    /// An alert is seen with its container.
    public func sees(_ alert: AlertRecord) -> Bool {
        sees(id: alert.containerID, name: alert.containerName, service: alert.serviceName)
    }
}
