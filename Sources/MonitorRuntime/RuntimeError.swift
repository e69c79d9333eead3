/// Why the runtime refused a request. The words are the API's (SPEC §4's `detail`, in French): the HTTP layer
/// only chooses the status — 422 for `invalid`, 404 for `notFound`, 400 for `invalidThreshold`.
public enum RuntimeError: Error, Sendable, Equatable {
    /// A value out of its range, an unknown name, two fields that contradict each other.
    case invalid(String)
    /// What the request names does not exist (a container, an override).
    case notFound(String)
    /// A threshold whose warning is not under its critical (the original's own 400).
    case invalidThreshold(String)
    /// A caller limited to some containers asked to change what reaches others (a global threshold, say).
    case forbidden(String)

    public var message: String {
        switch self {
        case .invalid(let m), .notFound(let m), .invalidThreshold(let m), .forbidden(let m): m
        }
    }
}
