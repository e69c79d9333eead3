import Foundation
import Glibc

/// How far the rolled-up steps (`rollup300_…` files) go, kept beside them in `rollup300-state.json` so that a
/// query knows which steps it may read from them, and a restart after a crash knows which lines to fold again.
///
/// - `sinceNanos`: the first step rolled up whole. Steps before it (history written before rollups began, or
///   before a recovery gave up) are answered from the lines themselves.
/// - `foldedBeforeNanos`: every line older than this is in a rolled-up step that is on disk, and no line from
///   this time on is (steps are written in time order: the store's open steps all start here while it runs).
///   While the daemon runs it is the start of the step it is filling (or, after a restart inside a step a clean
///   shutdown wrote, just past that shutdown's newest line); a clean shutdown writes every open step and sets it
///   just past the newest line.
public struct RollupState: Codable, Equatable, Sendable {
    public var sinceNanos: Int64
    public var foldedBeforeNanos: Int64

    public init(sinceNanos: Int64, foldedBeforeNanos: Int64) {
        self.sinceNanos = sinceNanos
        self.foldedBeforeNanos = foldedBeforeNanos
    }

    enum CodingKeys: String, CodingKey {
        case sinceNanos = "since_nanos"
        case foldedBeforeNanos = "folded_before_nanos"
    }

    /// No underscore: `HistoryFileName` never takes it for a history file (retention, compression skip it).
    public static let fileName = "rollup300-state.json"

    /// The steps a query may read from the rollup files: those starting in `sinceNanos..<readableBefore`.
    public var readableBeforeNanos: Int64 { RollupWriter.stepStart(foldedBeforeNanos) }

    /// The end of the steps a query may read, `Int64.min` when there are none yet.
    var vouchedBeforeNanos: Int64 { readableBeforeNanos > sinceNanos ? readableBeforeNanos : .min }

    /// The state in `directory`, nil when there is none, it does not parse, or it cannot be true (a mark in
    /// the future would hide the newest steps): rollups then begin anew.
    public static func load(directory: String, nowNanos: Int64) -> RollupState? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName),
            let state = try? JSONDecoder().decode(RollupState.self, from: data),
            state.sinceNanos >= 0, state.sinceNanos <= state.foldedBeforeNanos,
            state.foldedBeforeNanos <= nowNanos &+ 86_400_000_000_000
        else { return nil }
        return state
    }

    /// Written to a temporary file (owner-only) and renamed over the old one: a crash leaves the old state or
    /// the new.
    public func save(directory: String) throws {
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        let data = try JSONEncoder().encode(self)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, StorageDirectory.fileMode)
        guard fd >= 0 else { throw StoreError(errno: errno, operation: "open \(temporary)") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let failure = written < 0 ? errno : EIO  // (a short write of 50 bytes: a full disk)
        close(fd)
        guard written == data.count else {
            unlink(temporary)
            throw StoreError(errno: failure, operation: "write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw StoreError(errno: errno, operation: "rename \(temporary)") }
    }
}
