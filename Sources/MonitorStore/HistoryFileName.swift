/// The name of a history file and what it says: `metrics_2025-01-16.jsonl` (the day's open file),
/// `metrics_2025-01-16.3.jsonl` (the third closed part of that day, waiting to be compressed),
/// `metrics_2025-01-16.3.jsonl.gz` (compressed) and its member index `metrics_2025-01-16.3.jsonl.gz.idx`.
///
/// Within a day, closed parts are numbered in the order they were closed and the open file is the newest, so
/// sorting by (day, part, open last) is sorting by time.
public struct HistoryFileName: Hashable, Sendable {
    public enum Kind: Sendable {
        case plain, gzip, gzipIndex
    }

    public var prefix: String
    public var day: Int64
    /// nil: the day's open file.
    public var part: Int?
    public var kind: Kind

    public init(prefix: String, day: Int64, part: Int?, kind: Kind) {
        self.prefix = prefix
        self.day = day
        self.part = part
        self.kind = kind
    }

    /// (`rollup300` is `RollupWriter.prefix`, written out: the history fuzzer builds this file on its own.)
    public static let prefixes = ["metrics", "alerts", "rollup300", "audit"]

    public init?(_ name: String) {
        guard let underscore = name.firstIndex(of: "_") else { return nil }
        let prefix = String(name[..<underscore])
        guard Self.prefixes.contains(prefix) else { return nil }
        var rest = name[name.index(after: underscore)...]
        let date = rest.prefix(10)
        let parts = date.split(separator: "-")
        guard date.count == 10, parts.count == 3, let y = Int64(parts[0]), let m = Int64(parts[1]),
            let d = Int64(parts[2]), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        rest = rest.dropFirst(10)
        var part: Int?
        if rest.first == "." {
            let digits = rest.dropFirst().prefix(while: { $0.isASCII && $0.isNumber })
            if !digits.isEmpty {
                guard let n = Int(digits), n > 0 else { return nil }
                part = n
                rest = rest.dropFirst(1 + digits.count)
            }
        }
        let kind: Kind
        switch rest {
        case ".jsonl": kind = .plain
        case ".jsonl.gz": kind = .gzip
        case ".jsonl.gz.idx": kind = .gzipIndex
        default: return nil
        }
        self.init(prefix: prefix, day: Self.daysFromCivil(year: y, month: m, day: d), part: part, kind: kind)
    }

    public var name: String {
        var name = "\(prefix)_\(DailyJSONLFile.dateString(day: day))"
        if let part { name += ".\(part)" }
        switch kind {
        case .plain: name += ".jsonl"
        case .gzip: name += ".jsonl.gz"
        case .gzipIndex: name += ".jsonl.gz.idx"
        }
        return name
    }

    func with(kind: Kind) -> HistoryFileName {
        var copy = self
        copy.kind = kind
        return copy
    }

    /// Time order within a prefix: by day, then part, the open file (no part) last.
    var timeOrder: (Int64, Int) { (day, part ?? Int.max) }

    /// Howard Hinnant's days-from-civil (inverse of the encoder's civil-from-days).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
