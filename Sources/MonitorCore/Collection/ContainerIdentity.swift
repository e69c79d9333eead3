/// Who a container is: what Docker (or the cgroup scan) told us. Immutable and shared by reference, so a
/// sample can point at it without copying strings on the collection tick.
public final class ContainerIdentity: Sendable {
    /// Full 64-hex container id.
    public let id: String
    /// Name without the leading "/" (the short id when only the cgroup tree names it).
    public let name: String
    /// Label `com.docker.compose.service`.
    public let serviceName: String?
    /// Label `com.docker.compose.project`.
    public let projectName: String?
    /// Image reference, when Docker said.
    public let image: String?
    /// Every label, for the Prometheus exposition and filters.
    public let labels: [String: String]

    public init(
        id: String, name: String, serviceName: String? = nil, projectName: String? = nil, image: String? = nil,
        labels: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.serviceName = serviceName
        self.projectName = projectName
        self.image = image
        self.labels = labels
    }

    /// Builds an identity from Docker labels, picking the compose service and project out of them.
    public convenience init(id: String, name: String, image: String?, labels: [String: String]) {
        self.init(
            id: id, name: name.hasPrefix("/") ? String(name.dropFirst()) : name,
            serviceName: labels["com.docker.compose.service"], projectName: labels["com.docker.compose.project"],
            image: image, labels: labels)
    }

    /// The first 12 hex digits, as `docker ps` shows ids.
    public var shortID: String { String(id.prefix(12)) }
}
