/// A fixed-capacity ring: storage is allocated once, at creation; appending overwrites the oldest element
/// when full and never allocates.
public struct RingBuffer<Element> {
    private var storage: ContiguousArray<Element?>
    private var head = 0  // index of the next write
    public private(set) var count = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a ring needs room for one element")
        storage = ContiguousArray(repeating: nil, count: capacity)
    }

    public var capacity: Int { storage.count }
    public var isEmpty: Bool { count == 0 }

    public mutating func append(_ element: Element) {
        storage[head] = element
        head = head + 1 == storage.count ? 0 : head + 1
        if count < storage.count { count += 1 }
    }

    /// The newest element.
    public var last: Element? {
        guard count > 0 else { return nil }
        return storage[head == 0 ? storage.count - 1 : head - 1]
    }

    /// The oldest element still held.
    public var first: Element? { newest(count - 1) }

    /// Element `i` counted from the newest (0 = newest).
    public func newest(_ i: Int) -> Element? {
        guard i >= 0, i < count else { return nil }
        var index = head - 1 - i
        if index < 0 { index += storage.count }
        return storage[index]
    }

    /// Calls `body` on elements from the newest to the oldest until it returns false.
    public func forEachNewestFirst(_ body: (Element) throws -> Bool) rethrows {
        for i in 0..<count {
            guard let element = newest(i) else { return }
            if try !body(element) { return }
        }
    }
}
