/// A growable FIFO ring buffer: O(1) append, pop from the front, and push back to the front.
package struct Ring<Element>: Sendable where Element: Sendable {
    private var storage: [Element?] = []
    private var head = 0
    /// The number of elements held.
    package private(set) var count = 0

    /// Creates an empty ring.
    package init() {}

    /// Whether the ring holds nothing.
    package var isEmpty: Bool { count == 0 }

    /// The front element, or `nil` when empty.
    package var first: Element? { count == 0 ? nil : storage[head] }

    /// Appends at the back.
    package mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = element
        count += 1
    }

    /// Puts an element back at the front, ahead of everything else.
    package mutating func prepend(_ element: Element) {
        if count == storage.count { grow() }
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        count += 1
    }

    /// Removes and returns the front element, or `nil` when empty.
    package mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    /// Removes every element and returns them in order.
    package mutating func removeAll() -> [Element] {
        var all = [Element]()
        all.reserveCapacity(count)
        while let element = popFirst() { all.append(element) }
        return all
    }

    private mutating func grow() {
        var bigger = [Element?](repeating: nil, count: Swift.max(8, storage.count * 2))
        for index in 0..<count { bigger[index] = storage[(head + index) % storage.count] }
        storage = bigger
        head = 0
    }
}
