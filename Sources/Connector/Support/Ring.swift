/// A growable FIFO ring buffer: O(1) append, pop from the front, and push back to the front.
///
/// It is SPI (`@_spi(Internals)`), out of users' namespace, and public with inlinable methods so that the modules above use it specialised for their element
/// type (an `@inlinable package` method is not specialised across modules on this toolchain); a generic
/// call per message would cost a runtime metadata lookup on every hand-off.
@_spi(Internals) public struct Ring<Element>: Sendable where Element: Sendable {
    /// Slots; the capacity is zero or a power of two, so positions wrap with a mask.
    @usableFromInline var storage: [Element?] = []
    @usableFromInline var head = 0
    @usableFromInline var held = 0

    /// The number of elements held.
    @inlinable public var count: Int { held }

    /// Creates an empty ring.
    @inlinable public init() {}

    /// Whether the ring holds nothing.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The front element, or `nil` when empty.
    @inlinable public var first: Element? { count == 0 ? nil : storage[head] }

    /// Appends at the back.
    @inlinable public mutating func append(_ element: consuming Element) {
        if count == storage.count { grow() }
        storage[(head &+ count) & (storage.count &- 1)] = element
        held &+= 1
    }

    /// Puts an element back at the front, ahead of everything else.
    @inlinable public mutating func prepend(_ element: consuming Element) {
        if count == storage.count { grow() }
        head = (head &- 1) & (storage.count &- 1)
        storage[head] = element
        held &+= 1
    }

    /// Removes and returns the front element, or `nil` when empty.
    @inlinable public mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head].take()
        head = (head &+ 1) & (storage.count &- 1)
        held &-= 1
        return element
    }

    /// Removes every element and returns them in order.
    @inlinable public mutating func removeAll() -> [Element] {
        var all = [Element]()
        all.reserveCapacity(count)
        while let element = popFirst() { all.append(element) }
        return all
    }

    @inlinable mutating func grow() {
        var bigger = [Element?](repeating: nil, count: Swift.max(8, storage.count * 2))
        for index in 0..<count { bigger[index] = storage[(head + index) & (storage.count - 1)] }
        storage = bigger
        head = 0
    }
}

extension Ring: Sequence {
    /// Iterates a ring front to back.
    public struct Iterator: IteratorProtocol {
        @usableFromInline let ring: Ring
        @usableFromInline var offset = 0

        @inlinable init(ring: Ring) {
            self.ring = ring
        }

        /// The next element, front to back, or `nil` past the back.
        @inlinable public mutating func next() -> Element? {
            guard offset < ring.count else { return nil }
            defer { offset &+= 1 }
            return ring.storage[(ring.head &+ offset) & (ring.storage.count &- 1)]
        }
    }

    /// An iterator over the elements, front to back.
    @inlinable public func makeIterator() -> Iterator {
        Iterator(ring: self)
    }

    /// The number of elements.
    @inlinable public var underestimatedCount: Int { count }
}
