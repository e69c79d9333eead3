import Foundation
import Hummingbird
import HummingbirdCore
import MonitorCore
import MonitorRuntime

/// The filters of `GET /metrics` and `GET /alerts` (query string) and of their `POST …/query` twins (JSON
/// body), validated to SPEC §4's ranges. A bad value is a 422 that says which and why.
struct HistoryQuery: Sendable {
    var containerRef: String?
    var serviceName: String?
    var hours: Double
    var limit: Int
    var level: AlertLevel?
    var format: Format = .json
    /// Metrics only: seconds per downsampled record (SPEC §7).
    var step: Double?
    static let maxStep = 7 * 86_400.0

    /// `json` (an array, the default) or `jsonl` (one record per line, streamed: for exports; `limit` is then
    /// optional, the whole window by default, and may go up to 10,000,000).
    enum Format: String, Sendable {
        case json, jsonl
    }
    static let maxExportLimit = 10_000_000

    struct Limits {
        var defaultHours: Double
        var defaultLimit: Int
        var maxLimit: Int
        var allowsLevel: Bool
        var allowsStep = false
    }

    static let metrics = Limits(defaultHours: 1, defaultLimit: 1000, maxLimit: 10_000, allowsLevel: false, allowsStep: true)
    static let alerts = Limits(defaultHours: 24, defaultLimit: 100, maxLimit: 1000, allowsLevel: true)

    /// From the query string.
    init(query: FlatDictionary<Substring, Substring>, limits: Limits) throws(APIError) {
        func text(_ key: Substring) -> String? { query[key].map { String($0) } }
        try self.init(
            containerRef: text("container_id"), serviceName: text("service_name"),
            hours: try text("hours").map { raw throws(APIError) in
                guard let v = decimalNumber(raw) else { throw .validation("hours doit être un nombre décimal (reçu: \(raw))") }
                return v
            },
            limit: try text("limit").map { raw throws(APIError) in
                guard raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(raw) else {
                    throw .validation("limit doit être un entier décimal (reçu: \(raw))")
                }
                return v
            },
            level: limits.allowsLevel ? text("level") : nil, format: text("format"),
            step: try (limits.allowsStep ? text("step") : nil).map { raw throws(APIError) in
                guard let v = decimalNumber(raw) else { throw .validation("step doit être un nombre de secondes (reçu: \(raw))") }
                return v
            },
            limits: limits)
    }

    /// The JSON body of `POST …/query`.
    struct Body: Decodable {
        var container_id: String?
        var service_name: String?
        var hours: Double?
        var limit: Int?
        var level: String?
        var format: String?
        var step: Double?
    }

    init(body: Body, limits: Limits) throws(APIError) {
        try self.init(
            containerRef: body.container_id, serviceName: body.service_name, hours: body.hours, limit: body.limit,
            level: limits.allowsLevel ? body.level : nil, format: body.format, step: limits.allowsStep ? body.step : nil,
            limits: limits)
    }

    private init(
        containerRef: String?, serviceName: String?, hours: Double?, limit: Int?, level: String?, format: String?,
        step: Double? = nil, limits: Limits
    ) throws(APIError) {
        self.containerRef = containerRef?.isEmpty == true ? nil : containerRef
        self.serviceName = serviceName?.isEmpty == true ? nil : serviceName
        if let format {
            guard let parsed = Format(rawValue: format) else {
                throw .validation("format doit être json ou jsonl (reçu: \(format))")
            }
            self.format = parsed
        }
        self.hours = hours ?? limits.defaultHours
        let maxLimit = self.format == .jsonl ? Self.maxExportLimit : limits.maxLimit
        self.limit = limit ?? (self.format == .jsonl ? Self.maxExportLimit : limits.defaultLimit)
        guard self.hours.isFinite, self.hours > 0, self.hours <= 168 else {
            throw .validation("hours doit être un nombre > 0 et ≤ 168 (reçu: \(self.hours))")
        }
        guard self.limit >= 1, self.limit <= maxLimit else {
            throw .validation("limit doit être entre 1 et \(maxLimit) (reçu: \(self.limit))")
        }
        if let step {
            guard step.isFinite, step >= 0.001, step <= Self.maxStep else {
                throw .validation("step doit être un nombre de secondes ≥ 0.001 et ≤ \(Int(Self.maxStep)) (reçu: \(step))")
            }
            self.step = step
        }
        if let level {
            guard let parsed = AlertLevel(rawValue: level) else {
                throw .validation("level doit être info, warning ou critical (reçu: \(level))")
            }
            self.level = parsed
        }
    }

    /// What the runtime is asked: the window from `hours` ago until now.
    var request: HistoryRequest {
        HistoryRequest(
            containerRef: containerRef, serviceName: serviceName,
            sinceNanos: Clocks.wallNanos() &- Int64(saturating: hours * 3600 * 1e9), limit: limit, level: level,
            stepNanos: step.map { max(Int64(saturating: ($0 * 1e9).rounded()), 1) })
    }
}

/// A decimal number as a person writes it in a query string — `2`, `0.5`, `-1`, `1e3` — and nothing else:
/// Swift's `Double(_:)` also reads `0x10` (16), `inf` and `nan`, which no client means.
func decimalNumber(_ text: String) -> Double? {
    var digits = 0
    var seenDot = false
    var seenExponent = false
    var previous: UInt8 = 0
    for (i, c) in text.utf8.enumerated() {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i == 0 || previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return nil }
        case UInt8(ascii: "."):
            guard !seenDot, !seenExponent else { return nil }
            seenDot = true
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            guard !seenExponent, digits > 0 else { return nil }
            seenExponent = true
        default: return nil
        }
        previous = c
    }
    guard digits > 0, text.utf8.count <= 64 else { return nil }
    return Double(text)
}
