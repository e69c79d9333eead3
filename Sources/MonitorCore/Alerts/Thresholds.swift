import Synchronization

/// A metric's alert thresholds: a level is reached when the value is ≥ its threshold (for `duration`
/// seconds, when set: "above for N s").
public struct Threshold: Sendable, Equatable, Codable {
    public var warning: Double
    public var critical: Double
    public var enabled: Bool
    /// Seconds the value must stay at or above a level before that level is raised (0: at once).
    public var duration: Double

    public init(warning: Double, critical: Double, enabled: Bool = true, duration: Double = 0) {
        self.warning = warning
        self.critical = critical
        self.enabled = enabled
        self.duration = duration
    }

    enum CodingKeys: String, CodingKey {
        case warning, critical, enabled, duration
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        warning = try c.decode(Double.self, forKey: .warning)
        critical = try c.decode(Double.self, forKey: .critical)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        duration = try c.decodeIfPresent(Double.self, forKey: .duration) ?? 0
    }

    /// Why a threshold cannot be used, in the words the original's clients read; nil when it is valid.
    public var validationFailure: String? {
        guard warning.isFinite, critical.isFinite else { return "Les seuils doivent être des nombres finis" }
        guard warning >= 0, critical >= 0 else { return "Les seuils doivent être positifs" }
        guard warning < critical else { return "Le seuil d'avertissement doit être inférieur au seuil critique" }
        guard duration.isFinite, duration >= 0, duration <= 86_400 else { return "duration doit être entre 0 et 86400 secondes" }
        return nil
    }
}

/// Where a threshold applies: everywhere, to one compose service, or to one container (by full id). The
/// narrowest wins: container, then service, then global.
public enum ThresholdScope: Hashable, Sendable {
    case global
    case service(String)
    case container(String)
}

/// The thresholds in force. Read by alert evaluation once per tick as an immutable snapshot (one lock and one
/// retain: nothing allocated on the tick), changed by the API, which publishes a new snapshot.
public final class ThresholdTable: Sendable {
    /// An immutable view, indexed by `MetricType.index` for the tick's sake.
    public final class Snapshot: Sendable {
        public let global: [Threshold?]
        public let byService: [String: [Threshold?]]
        public let byContainer: [String: [Threshold?]]

        init(global: [MetricType: Threshold], overrides: [ThresholdScope: [MetricType: Threshold]]) {
            func indexed(_ table: [MetricType: Threshold], over base: [Threshold?]) -> [Threshold?] {
                var out = base
                for (metric, t) in table { out[metric.index] = t }
                return out
            }
            let base = indexed(global, over: Array(repeating: nil, count: MetricType.allCases.count))
            self.global = base
            var services: [String: [Threshold?]] = [:]
            var containers: [String: [Threshold?]] = [:]
            for (scope, table) in overrides {
                switch scope {
                case .global: break
                case .service(let name): services[name] = indexed(table, over: base)
                case .container(let id): containers[id] = table.isEmpty ? nil : indexed(table, over: [Threshold?](repeating: nil, count: base.count))
                }
            }
            byService = services
            byContainer = containers
        }

        /// What applies to one container: its own overrides, else its service's, else global. Found once per
        /// sample (two lookups at most), then read per metric.
        @inlinable
        public func applying(containerID: String, service: String?) -> Applicable {
            let own = byContainer.isEmpty ? nil : byContainer[containerID]
            if !byService.isEmpty, let service, let forService = byService[service] { return Applicable(own: own, base: forService) }
            return Applicable(own: own, base: global)
        }
    }

    /// One container's thresholds: its own overrides over its service's (or the global) ones.
    public struct Applicable {
        @usableFromInline let own: [Threshold?]?
        @usableFromInline let base: [Threshold?]

        @inlinable init(own: [Threshold?]?, base: [Threshold?]) {
            self.own = own
            self.base = base
        }

        @inlinable
        public func threshold(_ metric: MetricType) -> Threshold? {
            if let own, let t = own[metric.index] { return t }
            return base[metric.index]
        }
    }

    private struct State {
        var global: [MetricType: Threshold]
        var overrides: [ThresholdScope: [MetricType: Threshold]] = [:]
        var snapshot: Snapshot
    }

    private let state: Mutex<State>

    /// MB = 1024 × 1024 bytes, as the original.
    public static let megabyte: Double = 1024 * 1024

    public static func defaults(cpu: (Double, Double) = (70, 90), memory: (Double, Double) = (80, 95)) -> [MetricType: Threshold] {
        [
            .cpuPercent: Threshold(warning: cpu.0, critical: cpu.1),
            .memoryPercent: Threshold(warning: memory.0, critical: memory.1),
            .networkRx: Threshold(warning: 100 * megabyte, critical: 500 * megabyte),
            .networkTx: Threshold(warning: 100 * megabyte, critical: 500 * megabyte),
        ]
    }

    public init(_ initial: [MetricType: Threshold] = ThresholdTable.defaults()) {
        state = Mutex(State(global: initial, snapshot: Snapshot(global: initial, overrides: [:])))
    }

    /// What evaluation reads on the tick.
    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// The global thresholds.
    public var all: [MetricType: Threshold] { state.withLock { $0.global } }

    /// Per-service and per-container thresholds.
    public var overrides: [ThresholdScope: [MetricType: Threshold]] { state.withLock { $0.overrides } }

    /// The global threshold of `metric`.
    public func threshold(for metric: MetricType) -> Threshold? { state.withLock { $0.global[metric] } }

    public func set(_ threshold: Threshold, for metric: MetricType, scope: ThresholdScope = .global) {
        set([(metric, scope, threshold)])
    }

    /// Sets several at once, under one lock (a configuration applies as a whole).
    public func set(_ thresholds: [MetricType: Threshold]) {
        set(thresholds.map { ($0.key, ThresholdScope.global, $0.value) })
    }

    public func set(_ changes: [(MetricType, ThresholdScope, Threshold)]) {
        state.withLock { s in
            for (metric, scope, threshold) in changes {
                if scope == .global { s.global[metric] = threshold } else { s.overrides[scope, default: [:]][metric] = threshold }
            }
            s.snapshot = Snapshot(global: s.global, overrides: s.overrides)
        }
    }

    /// Removes an override; returns false when there was none.
    @discardableResult
    public func removeOverride(for metric: MetricType, scope: ThresholdScope) -> Bool {
        state.withLock { s in
            guard scope != .global, s.overrides[scope]?.removeValue(forKey: metric) != nil else { return false }
            if s.overrides[scope]?.isEmpty == true { s.overrides[scope] = nil }
            s.snapshot = Snapshot(global: s.global, overrides: s.overrides)
            return true
        }
    }

    /// Replaces everything (thresholds loaded from disk at start).
    public func replace(global: [MetricType: Threshold], overrides: [ThresholdScope: [MetricType: Threshold]]) {
        state.withLock { s in
            s.global = global
            s.overrides = overrides
            s.snapshot = Snapshot(global: global, overrides: overrides)
        }
    }
}
