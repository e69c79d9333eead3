import HTTPTypes

/// Where a request carries its token: `Authorization: Bearer …`; and for the WebSocket upgrade only (a browser
/// cannot set headers there), the subprotocol pair `bearer, <token>` or `?token=`. Never the query string of
/// other requests: URLs end up in logs and browser history.
enum BearerToken {
    /// The subprotocol a browser offers first; the upgrade answers with it (a browser requires one of its own).
    static let subprotocol = "bearer"

    static func find(in fields: HTTPFields, path: String, webSocketPath: String) -> String? {
        if let value = fields[.authorization] {
            let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingBlanks }
            return nil
        }
        let route = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard route.first.map(String.init) == webSocketPath else { return nil }
        if let offered = fields[values: .secWebSocketProtocol].first {
            let protocols = offered.split(separator: ",").map { String($0).trimmingBlanks }
            if protocols.count >= 2, protocols[0] == subprotocol { return protocols[1] }
        }
        guard route.count == 2 else { return nil }
        for pair in route[1].split(separator: "&") where pair.hasPrefix("token=") {
            return String(pair.dropFirst("token=".count))  // base64url and dots: nothing to decode
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingBlanks: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
