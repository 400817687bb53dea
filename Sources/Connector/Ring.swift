/// A growable FIFO ring buffer: O(1) append, pop from the front, and push back to the front.
///
/// Its methods are inlinable so that the modules above use it specialised for their element type; a
/// generic call per message would cost a runtime metadata lookup on every hand-off.
package struct Ring<Element>: Sendable where Element: Sendable {
    /// Slots; the capacity is zero or a power of two, so positions wrap with a mask.
    @usableFromInline var storage: [Element?] = []
    @usableFromInline var head = 0
    /// The number of elements held.
    @usableFromInline package private(set) var count = 0

    /// Creates an empty ring.
    @inlinable package init() {}

    /// Whether the ring holds nothing.
    @inlinable package var isEmpty: Bool { count == 0 }

    /// The front element, or `nil` when empty.
    @inlinable package var first: Element? { count == 0 ? nil : storage[head] }

    /// Appends at the back.
    @inlinable package mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head &+ count) & (storage.count &- 1)] = element
        count &+= 1
    }

    /// Puts an element back at the front, ahead of everything else.
    @inlinable package mutating func prepend(_ element: Element) {
        if count == storage.count { grow() }
        head = (head &- 1) & (storage.count &- 1)
        storage[head] = element
        count &+= 1
    }

    /// Removes and returns the front element, or `nil` when empty.
    @inlinable package mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head].take()
        head = (head &+ 1) & (storage.count &- 1)
        count &-= 1
        return element
    }

    /// Removes every element and returns them in order.
    @inlinable package mutating func removeAll() -> [Element] {
        var all = [Element]()
        all.reserveCapacity(count)
        while let element = popFirst() { all.append(element) }
        return all
    }

    @usableFromInline mutating func grow() {
        var bigger = [Element?](repeating: nil, count: Swift.max(8, storage.count * 2))
        for index in 0..<count { bigger[index] = storage[(head + index) & (storage.count - 1)] }
        storage = bigger
        head = 0
    }
}
