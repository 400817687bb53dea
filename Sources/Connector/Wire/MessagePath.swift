/// A path of pipe ids, newest first: the ids of the links a message crossed (its source), or the
/// links a reply must take (its destination).
///
/// Each hop uses the first id to pick its outgoing pipe; the next node strips it on receipt.
/// Ids are meaningful only inside the process that assigned them.
///
/// An empty path and a path of one id are stored inline, in the value itself: making, copying, and
/// going from none to one id by ``prepend(_:)`` or ``append(_:)`` (or back by ``removeFirst()``)
/// allocate nothing and retain nothing. A longer path keeps its ids in an array. Which of the two a path
/// uses never shows: equality, hashing, iteration and ``description`` depend only on the ids.
public struct MessagePath: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The most ids a path holds without a heap allocation.
    ///
    /// One, so that a path is one word (8 bytes) and a `Message`, with its two paths, stays at 32 bytes.
    /// Past 32 bytes Swift copies, destroys and tests an `Optional<Message>` through value-witness calls,
    /// and a path of four inline ids (18 bytes, a 64-byte `Message`) measured slower end to end than the
    /// allocation it saved. One id covers the common case: a message from a direct peer arrives with the
    /// source `[pipe]`, and the reply to it leaves with that destination.
    @usableFromInline package static let inlineCapacity = 1

    /// Where the ids are. A path of at most ``inlineCapacity`` ids is `empty` or `one` unless made by
    /// ``init(spilled:)``; every operation keeps that so (a longer path is always `spilled`). The enum
    /// fits in one word: its tag goes in spare bits of the array reference.
    @usableFromInline enum Storage: Sendable {
        /// No ids.
        case empty
        /// One id.
        case one(UInt32)
        /// Any number of ids, newest first.
        case spilled([UInt32])
    }

    @usableFromInline var storage: Storage

    /// Creates an empty path.
    @inlinable public init() {
        storage = .empty
    }

    /// Creates a path from ids, newest first. A path of at most one id is stored inline; a longer one
    /// shares `ids`' storage.
    @inlinable public init(_ ids: [UInt32] = []) {
        switch ids.count {
        case 0: storage = .empty
        case 1: storage = .one(ids[0])
        default: storage = .spilled(ids)
        }
    }

    /// Creates a path from a literal list of ids, newest first.
    @inlinable public init(arrayLiteral elements: UInt32...) {
        self.init(elements)
    }

    /// Creates a path that keeps its ids in an array however few there are. For tests: a path made so is
    /// equal to, and hashes as, the inline path of the same ids.
    package init(spilled ids: [UInt32]) {
        storage = .spilled(ids)
    }

    /// Whether the ids are stored inline (no heap allocation).
    package var isInline: Bool {
        if case .spilled = storage { return false }
        return true
    }

    /// The ids, newest (nearest) first, as a new array: this allocates for a non-empty path. Iterate or
    /// subscript the path itself where that will do.
    public var ids: [UInt32] {
        switch storage {
        case .empty: []
        case .one(let id): [id]
        case .spilled(let ids): ids
        }
    }

    /// The index of the first id (always 0).
    @inlinable public var startIndex: Int { 0 }

    /// One past the index of the last id: the number of ids.
    @inlinable public var endIndex: Int {
        switch storage {
        case .empty: 0
        case .one: 1
        case .spilled(let ids): ids.count
        }
    }

    /// The number of ids.
    @inlinable public var count: Int { endIndex }

    /// Whether the path has no ids.
    @inlinable public var isEmpty: Bool { endIndex == 0 }

    /// The id at `position`, which must be in `0..<count`.
    @inlinable public subscript(position: Int) -> UInt32 {
        switch storage {
        case .empty:
            preconditionFailure("MessagePath index out of range")
        case .one(let id):
            precondition(position == 0, "MessagePath index out of range")
            return id
        case .spilled(let ids):
            return ids[position]
        }
    }

    /// Puts `id` in front of the path, as the newest link: the receive rule prepends the arrival pipe.
    /// A path that grows past one id moves its ids to an array.
    @inlinable public mutating func prepend(_ id: UInt32) {
        switch storage {
        case .empty:
            storage = .one(id)
        case .one(let only):
            storage = .spilled(Self.spill(id, only))
        case .spilled(var ids):
            storage = .empty  // drop the reference, so `ids` is unique
            ids.insert(id, at: 0)
            storage = .spilled(ids)
        }
    }

    /// Puts `id` at the end of the path, as the oldest link. A path that grows past one id moves its ids
    /// to an array.
    @inlinable public mutating func append(_ id: UInt32) {
        switch storage {
        case .empty:
            storage = .one(id)
        case .one(let only):
            storage = .spilled(Self.spill(only, id))
        case .spilled(var ids):
            storage = .empty  // drop the reference, so `ids` is unique
            ids.append(id)
            storage = .spilled(ids)
        }
    }

    /// Removes and returns the first (newest) id, which must exist: a hop strips the first destination
    /// id. A path that shrinks to one id moves it back inline.
    @inlinable @discardableResult public mutating func removeFirst() -> UInt32 {
        switch storage {
        case .empty:
            preconditionFailure("removeFirst() on an empty MessagePath")
        case .one(let only):
            storage = .empty
            return only
        case .spilled(var ids):
            precondition(!ids.isEmpty, "removeFirst() on an empty MessagePath")
            storage = .empty  // drop the reference, so `ids` is unique
            let first = ids.removeFirst()
            switch ids.count {
            case 0: break
            case 1: storage = .one(ids[0])
            default: storage = .spilled(ids)
            }
            return first
        }
    }

    /// The ids joined by arrows, newest first.
    public var description: String {
        map(String.init).joined(separator: "→")
    }

    /// Whether two paths hold the same ids in the same order, however each stores them.
    @inlinable public static func == (lhs: MessagePath, rhs: MessagePath) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.empty, .empty): return true
        case (.one(let id), .one(let other)): return id == other
        case (.spilled(let ids), .spilled(let otherIDs)): return ids == otherIDs
        default: return lhs.count == rhs.count && lhs.elementsEqual(rhs)
        }
    }

    /// Hashes the number of ids, then each id in order, however they are stored.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for id in self { hasher.combine(id) }
    }

    /// The array of a path that grows to two ids, with room for a few more hops.
    @usableFromInline static func spill(_ first: UInt32, _ second: UInt32) -> [UInt32] {
        var ids = [UInt32]()
        ids.reserveCapacity(4)
        ids.append(first)
        ids.append(second)
        return ids
    }
}
