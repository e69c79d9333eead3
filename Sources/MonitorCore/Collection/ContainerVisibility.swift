/// Which containers a caller may see: all of them, or those a token's claims name (SPEC §10) — by name or id
/// prefix (`ContainerReference`'s rule), and/or by compose service. Both lists given, a container must be in
/// both: a claim only ever narrows. Applied alike to live containers, history lines, alerts and streams.
public struct ContainerVisibility: Sendable, Equatable {
    public var containers: [ContainerReference]?
    public var services: [String]?

    public init(containers: [String]? = nil, services: [String]? = nil) {
        self.containers = containers.map { $0.map(ContainerReference.init) }
        self.services = services
    }

    public static let all = ContainerVisibility()

    public var isAll: Bool { containers == nil && services == nil }

    public func sees(id: String, name: String, service: String?) -> Bool {
        if let containers, !containers.contains(where: { $0.matches(id: id, name: name) }) { return false }
        if let services {
            guard let service, services.contains(service) else { return false }
        }
        return true
    }

    public func sees(_ identity: ContainerIdentity) -> Bool {
        sees(id: identity.id, name: identity.name, service: identity.serviceName)
    }
}
