@testable import MonitorCore
import Testing

/// One rule for naming a container (REST, WebSocket filters, history, `stats`): name, full id, or an id
/// prefix of at least three characters; a lookup wants the prefix unique.
@Suite struct ContainerReferenceTests {
    static let web = ContainerIdentity(id: "abc123" + String(repeating: "0", count: 58), name: "web")
    static let db = ContainerIdentity(id: "abc456" + String(repeating: "1", count: 58), name: "db")

    @Test func nameFullIdOrALongEnoughPrefix() {
        #expect(ContainerReference("web").matches(Self.web))
        #expect(ContainerReference(Self.web.id).matches(Self.web))
        #expect(ContainerReference("abc1").matches(Self.web))
        #expect(!ContainerReference("abc1").matches(Self.db))
        #expect(!ContainerReference("ab").matches(Self.web), "two characters name no container by id")
        #expect(!ContainerReference("we").matches(Self.web), "a name matches whole, not by prefix")
        #expect(ContainerReference("ab").matchesExactly(id: "x", name: "ab"), "a two-letter name is still a name")
    }

    @Test func aLookupWantsAnExactMatchOrAUniquePrefix() {
        let registry = SeriesRegistry()
        registry.replace(with: [Self.web, Self.db].map { ContainerSeries(identity: $0, capacity: 4) })
        guard case .found(let byName) = registry.lookup("db") else { Issue.record("db not found"); return }
        #expect(byName.identity === Self.db)
        guard case .found(let byPrefix) = registry.lookup("abc1") else { Issue.record("abc1 not found"); return }
        #expect(byPrefix.identity === Self.web)
        guard case .ambiguous(let count) = registry.lookup("abc") else { Issue.record("abc is ambiguous"); return }
        #expect(count == 2)
        guard case .notFound = registry.lookup("ab") else { Issue.record("ab is too short for a prefix"); return }
    }
}
