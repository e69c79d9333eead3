/// The registry's figures read back from its text exposition: what `/statistics` reports is what `/metrics`
/// shows, to the sample. Parsing our own output (a few hundred short lines) costs tens of microseconds, paid by a
/// statistics request, never by the tick.
public struct HealthReadings: Sendable {
    public struct Series: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public private(set) var series: [Series] = []

    public init(exposition: [UInt8]) {
        var lineStart = 0
        while lineStart < exposition.count {
            var lineEnd = lineStart
            while lineEnd < exposition.count, exposition[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            if lineEnd > lineStart, exposition[lineStart] != UInt8(ascii: "#"),
               let parsed = Self.parse(exposition[lineStart..<lineEnd]) {
                series.append(parsed)
            }
            lineStart = lineEnd + 1
        }
    }

    /// The value of one series: `name` with exactly `labels`; 0 when it was never counted.
    public func value(_ name: String, labels: [String: String] = [:]) -> Double {
        series.first { $0.name == name && $0.labels == labels }?.value ?? 0
    }

    /// The sum over every series of `name` whose labels include `matching`.
    public func sum(_ name: String, matching: [String: String] = [:]) -> Double {
        series.lazy.filter { s in s.name == name && matching.allSatisfy { s.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }

    /// The counter as an integer (counters hold whole counts; a reading never traps).
    public func count(_ name: String, labels: [String: String] = [:]) -> UInt64 {
        UInt64(exactly: value(name, labels: labels).rounded()) ?? 0
    }

    /// The `fraction` quantile of histogram `name`, estimated as Prometheus's `histogram_quantile` does: the
    /// bucket holding the rank, linearly within it. Nil with no observation.
    public func quantile(_ fraction: Double, histogram name: String) -> Double? {
        let buckets = series.compactMap { s -> (bound: Double, count: Double)? in
            guard s.name == name + "_bucket", let le = s.labels["le"] else { return nil }
            return (le == "+Inf" ? .infinity : Double(le) ?? .nan, s.value)
        }.filter { !$0.bound.isNaN }.sorted { $0.bound < $1.bound }
        guard let total = buckets.last?.count, total > 0 else { return nil }
        let rank = fraction * total
        var lowerBound = 0.0
        var below = 0.0
        for bucket in buckets {
            if bucket.count >= rank {
                // The top bucket is open-ended: its lower bound is the best estimate there is.
                guard bucket.bound.isFinite else { return lowerBound }
                let inBucket = bucket.count - below
                return inBucket > 0 ? lowerBound + (bucket.bound - lowerBound) * (rank - below) / inBucket : bucket.bound
            }
            lowerBound = bucket.bound
            below = bucket.count
        }
        return lowerBound
    }

    /// `name{a="x",b="y"} value`: label values may hold any byte but `"`, `\` and newline, which come escaped.
    static func parse(_ line: ArraySlice<UInt8>) -> Series? {
        var i = line.startIndex
        while i < line.endIndex, line[i] != UInt8(ascii: "{"), line[i] != UInt8(ascii: " ") { i += 1 }
        let name = String(decoding: line[line.startIndex..<i], as: UTF8.self)
        var labels: [String: String] = [:]
        if i < line.endIndex, line[i] == UInt8(ascii: "{") {
            i += 1
            while i < line.endIndex, line[i] != UInt8(ascii: "}") {
                let keyStart = i
                while i < line.endIndex, line[i] != UInt8(ascii: "=") { i += 1 }
                let key = String(decoding: line[keyStart..<i], as: UTF8.self)
                i += 2  // `="`
                var value: [UInt8] = []
                while i < line.endIndex, line[i] != UInt8(ascii: "\"") {
                    if line[i] == UInt8(ascii: "\\"), i + 1 < line.endIndex {
                        i += 1
                        value.append(line[i] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[i])
                    } else {
                        value.append(line[i])
                    }
                    i += 1
                }
                labels[key] = String(decoding: value, as: UTF8.self)
                i += 1  // the closing quote
                if i < line.endIndex, line[i] == UInt8(ascii: ",") { i += 1 }
            }
            i += 1  // `}`
        }
        while i < line.endIndex, line[i] == UInt8(ascii: " ") { i += 1 }
        var end = i
        while end < line.endIndex, line[end] != UInt8(ascii: " ") { end += 1 }
        guard i < line.endIndex, let value = Double(String(decoding: line[i..<end], as: UTF8.self)) else { return nil }
        return Series(name: name, labels: labels, value: value)
    }
}
