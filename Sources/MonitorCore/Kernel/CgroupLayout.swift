import Foundation

/// Where the cgroup hierarchies of this host are mounted, and whether containers are read with the v1 or the
/// v2 file formats. Detected once at start-up from /proc/self/mountinfo; when the cgroup root is a fixture
/// tree (WAKEDOCK_CGROUP_ROOT) that no mount describes, from the shape of the tree itself.
public struct CgroupLayout: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// Every controller in one cgroup2 mount (production hosts today).
        case v2 = "v2"
        /// One mount per v1 controller; a cgroup2 tree may sit beside them (`unified`) for PSI and cpu.stat.
        case v1 = "v1"
        /// Both: v1 controllers plus a cgroup2 tree that has no memory controller (this build host).
        case hybrid = "hybrid"
    }

    public var mode: Mode
    /// The cgroup root directory (usually /sys/fs/cgroup).
    public var root: String
    /// v1 controller name → mount point ("cpu", "cpuacct", "memory", "pids", "blkio", "name=systemd" …).
    public var controllers: [String: String]
    /// The cgroup2 mount point, if any.
    public var unified: String?

    /// The file format of container counters: 2 only when memory is accounted by cgroup2.
    public var fileVersion: Int32 { mode == .v2 ? 2 : 1 }

    public init(mode: Mode, root: String, controllers: [String: String], unified: String?) {
        self.mode = mode
        self.root = root
        self.controllers = controllers
        self.unified = unified
    }

    public enum DetectionError: Error, CustomStringConvertible {
        case noCgroupFilesystem(root: String)
        public var description: String {
            switch self {
            case .noCgroupFilesystem(let root): "no cgroup v1 or v2 hierarchy found under \(root)"
            }
        }
    }

    /// Detects the layout under `root` from mountinfo text, falling back to the directory shape.
    public static func detect(root: String, mountinfo: String?) throws -> CgroupLayout {
        let root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        if let mountinfo, let layout = fromMountinfo(mountinfo, root: root) { return layout }
        if let layout = fromTree(root: root) { return layout }
        throw DetectionError.noCgroupFilesystem(root: root)
    }

    /// Parses mountinfo lines: "36 25 0:32 / /sys/fs/cgroup/memory rw,... - cgroup cgroup rw,memory".
    static func fromMountinfo(_ text: String, root: String) -> CgroupLayout? {
        var controllers: [String: String] = [:]
        var unified: String?
        for line in text.split(separator: "\n") {
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " ")
            let right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let mountPoint = unescapeMountinfo(String(left[4]))
            guard mountPoint == root || mountPoint.hasPrefix(root + "/") else { continue }
            switch right[0] {
            case "cgroup2":
                unified = mountPoint
            case "cgroup":
                for option in right[2].split(separator: ",") where option != "rw" && option != "ro" {
                    let name = String(option)
                    if name.contains("=") && !name.hasPrefix("name=") { continue }
                    controllers[name] = mountPoint
                }
            default:
                continue
            }
        }
        if controllers.isEmpty, let unified { return CgroupLayout(mode: .v2, root: unified, controllers: [:], unified: unified) }
        guard controllers["memory"] != nil || controllers["cpuacct"] != nil else { return nil }
        return CgroupLayout(mode: unified == nil ? .v1 : .hybrid, root: root, controllers: controllers, unified: unified)
    }

    /// Recognises a tree without mounts: a cgroup2 root has `cgroup.controllers`; a v1 root has one folder
    /// per controller.
    static func fromTree(root: String) -> CgroupLayout? {
        let fm = FileManager.default
        if fm.fileExists(atPath: root + "/cgroup.controllers") {
            return CgroupLayout(mode: .v2, root: root, controllers: [:], unified: root)
        }
        var controllers: [String: String] = [:]
        for name in ["cpu", "cpuacct", "memory", "pids", "blkio", "cpuset"]
        where fm.fileExists(atPath: "\(root)/\(name)") {
            controllers[name] = "\(root)/\(name)"
        }
        // A combined "cpu,cpuacct" mount serves both controllers.
        if fm.fileExists(atPath: root + "/cpu,cpuacct") {
            controllers["cpu"] = root + "/cpu,cpuacct"
            controllers["cpuacct"] = root + "/cpu,cpuacct"
        }
        guard controllers["memory"] != nil else { return nil }
        let unified = fm.fileExists(atPath: root + "/unified/cgroup.controllers") ? root + "/unified" : nil
        return CgroupLayout(mode: unified == nil ? .v1 : .hybrid, root: root, controllers: controllers, unified: unified)
    }

    /// mountinfo escapes blanks and backslashes as octal ("\040").
    private static func unescapeMountinfo(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var chars = Array(s.utf8)[...]
        var bytes: [UInt8] = []
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == UInt8(ascii: "\\"), chars.count >= 3,
                let v = UInt8(String(decoding: chars.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(v)
                chars = chars.dropFirst(3)
            } else {
                bytes.append(c)
            }
        }
        out = String(decoding: bytes, as: UTF8.self)
        return out
    }

    /// The hierarchy that lists every container: memory on v1, the unified root on v2.
    public var scanRoot: String {
        mode == .v2 ? root : (controllers["memory"] ?? root)
    }

    /// A container's cgroup directories, one per controller it is read from.
    public struct ContainerDirectories: Sendable, Equatable {
        public var cpuacct: String?
        public var cpu: String?
        public var memory: String?
        public var pids: String?
        public var blkio: String?
        /// The cgroup2 directory: everything on v2; PSI only on hybrid hosts.
        public var unified: String?
        /// The container's cgroup below the hierarchy's root (`/docker/<id>`, `/system.slice/docker-<id>.scope`):
        /// what cAdvisor calls its `id`.
        public var relativePath: String?
    }

    /// Directories from the text of /proc/<pid>/cgroup ("4:memory:/docker/<id>", "0::/docker/<id>").
    public func directories(procCgroup text: String) -> ContainerDirectories {
        var relative: [String: String] = [:]
        var unifiedPath: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                unifiedPath = path
            } else {
                for name in parts[1].split(separator: ",") { relative[String(name)] = path }
            }
        }
        func join(_ controller: String) -> String? {
            guard let mount = controllers[controller], let path = relative[controller] else { return nil }
            return path == "/" ? mount : mount + path
        }
        var dirs = ContainerDirectories()
        if mode == .v2 {
            guard let unifiedPath, let unified else { return dirs }
            let dir = unifiedPath == "/" ? unified : unified + unifiedPath
            dirs = ContainerDirectories(
                cpuacct: dir, cpu: dir, memory: dir, pids: dir, blkio: dir, unified: dir, relativePath: unifiedPath)
        } else {
            dirs.relativePath = relative["memory"] ?? relative["cpuacct"] ?? relative["pids"]
            dirs.cpuacct = join("cpuacct")
            dirs.cpu = join("cpu")
            dirs.memory = join("memory")
            dirs.pids = join("pids")
            dirs.blkio = join("blkio")
            if let unified, let unifiedPath, unifiedPath != "/" { dirs.unified = unified + unifiedPath }
        }
        return dirs
    }

    /// Directories for a container id under the known layouts, for when no pid is known (cgroupfs driver:
    /// `docker/<id>`; systemd driver: `system.slice/docker-<id>.scope`). The first layout that exists wins.
    public func directories(containerID id: String) -> ContainerDirectories? {
        let fm = FileManager.default
        for relative in ["/docker/\(id)", "/system.slice/docker-\(id).scope"] {
            let probe = (mode == .v2 ? root : (controllers["memory"] ?? root)) + relative
            guard fm.fileExists(atPath: probe) else { continue }
            return directories(relative: relative)
        }
        return nil
    }

    /// Directories for one relative cgroup path, the same in every hierarchy.
    public func directories(relative: String) -> ContainerDirectories {
        if mode == .v2 {
            let dir = root + relative
            return ContainerDirectories(
                cpuacct: dir, cpu: dir, memory: dir, pids: dir, blkio: dir, unified: dir, relativePath: relative)
        }
        let fm = FileManager.default
        func existing(_ controller: String) -> String? {
            guard let mount = controllers[controller] else { return nil }
            let dir = mount + relative
            return fm.fileExists(atPath: dir) ? dir : nil
        }
        var unifiedDir: String?
        if let unified, fm.fileExists(atPath: unified + relative) { unifiedDir = unified + relative }
        return ContainerDirectories(
            cpuacct: existing("cpuacct"), cpu: existing("cpu"), memory: existing("memory"), pids: existing("pids"),
            blkio: existing("blkio"), unified: unifiedDir, relativePath: relative)
    }
}
