import Foundation

/// Finds containers without Docker, by their cgroup directory names: `docker/<id>`, `docker-<id>.scope`,
/// `system.slice/docker-<id>.scope`, `libpod-<id>.scope`, `cri-containerd-<id>.scope`, `crio-<id>.scope`
/// and the `kubepods…/<id>` folders of the kubelet. Containers found this way are named by their short id.
public struct CgroupScanner: Sendable {
    public let layout: CgroupLayout
    /// How deep under the scan root container folders may sit (kubepods nests pods under QoS classes).
    public var maxDepth = 5

    public init(layout: CgroupLayout) { self.layout = layout }

    /// Every container folder under the scan root.
    public func scan() -> [CollectionTarget] {
        var found: [String: CollectionTarget] = [:]
        walk(relative: "", depth: 0, into: &found)
        return found.values.sorted { $0.identity.id < $1.identity.id }
    }

    private func walk(relative: String, depth: Int, into found: inout [String: CollectionTarget]) {
        guard depth < maxDepth,
            let entries = try? FileManager.default.contentsOfDirectory(atPath: layout.scanRoot + relative)
        else { return }
        for entry in entries {
            let path = relative + "/" + entry
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: layout.scanRoot + path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else { continue }
            if let id = Self.containerID(inDirectoryName: entry) {
                if found[id] == nil {
                    found[id] = CollectionTarget(
                        identity: ContainerIdentity(id: id, name: String(id.prefix(12))), pid: nil, cgroupPath: path)
                }
                continue  // a container's sub-cgroups are part of it
            }
            walk(relative: path, depth: depth + 1, into: &found)
        }
    }

    /// The 64-hex id in a container folder's name, or nil when the folder is not a container's.
    public static func containerID(inDirectoryName name: String) -> String? {
        var core = Substring(name)
        if core.hasSuffix(".scope") { core = core.dropLast(".scope".count) }
        if core.hasPrefix("libpod-conmon-") { return nil }
        for prefix in ["docker-", "libpod-", "cri-containerd-", "crio-"] where core.hasPrefix(prefix) {
            core = core.dropFirst(prefix.count)
            break
        }
        guard core.utf8.count == 64, core.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return nil
        }
        return String(core)
    }
}
