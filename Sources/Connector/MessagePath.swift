/// A path of pipe ids, newest first: the ids of the links a message crossed (its source), or the
/// links a reply must take (its destination).
///
/// Each hop uses the first id to pick its outgoing pipe; the next node strips it on receipt.
/// Ids are meaningful only inside the process that assigned them.
///
/// A path of up to four ids is stored inline, in the value itself: making, copying, extending by
/// ``prepend(_:)`` or ``append(_:)`` and shortening by ``removeFirst()`` allocate nothing and retain
/// nothing. A longer path keeps its ids in an array. Which of the two a path uses never shows: equality,
/// hashing, iteration and ``description`` depend only on the ids.
public struct MessagePath: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The most ids a path holds without a heap allocation.
    ///
    /// Four: two words of ids, a count byte and the enum's tag make 18 bytes (stride 24), so a `Message`
    /// with its two paths is 64 bytes. Three ids with an optional array in place of the enum measured no
    /// better (any `Message` over 32 bytes is copied through its value witness either way).
    @usableFromInline package static let inlineCapacity = 4

    /// Where the ids are. A path of at most ``inlineCapacity`` ids is `inline` unless made by
    /// ``init(spilled:)``; every operation keeps that so (a longer path is always `spilled`).
    @usableFromInline enum Storage: Sendable {
        /// Up to four ids in two words: id `i` in bits `32 · (i % 2)` of `low` (`i` < 2) or `high`
        /// (`i` ≥ 2). Slots at and past `count` are zero, so two inline paths are equal exactly when
        /// their words and counts are.
        case inline(low: UInt64, high: UInt64, count: UInt8)
        /// Any number of ids, newest first.
        case spilled([UInt32])
    }

    @usableFromInline var storage: Storage

    /// Creates an empty path.
    @inlinable public init() {
        storage = .inline(low: 0, high: 0, count: 0)
    }

    /// Creates a path from ids, newest first. A path of up to four ids copies them inline; a longer one
    /// shares `ids`' storage.
    @inlinable public init(_ ids: [UInt32] = []) {
        if ids.count <= Self.inlineCapacity {
            storage = .inline(low: 0, high: 0, count: 0)
            for id in ids { append(id) }
        } else {
            storage = .spilled(ids)
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
        if case .inline = storage { return true }
        return false
    }

    /// The ids, newest (nearest) first, as a new array: this allocates for a non-empty path. Iterate or
    /// subscript the path itself where that will do.
    public var ids: [UInt32] {
        switch storage {
        case .inline: Array(self)
        case .spilled(let ids): ids
        }
    }

    /// The index of the first id (always 0).
    @inlinable public var startIndex: Int { 0 }

    /// One past the index of the last id: the number of ids.
    @inlinable public var endIndex: Int {
        switch storage {
        case .inline(_, _, let count): Int(count)
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
        case .inline(let low, let high, let count):
            precondition(position >= 0 && position < Int(count), "MessagePath index out of range")
            return Self.slot(position, low: low, high: high)
        case .spilled(let ids):
            return ids[position]
        }
    }

    /// Puts `id` in front of the path, as the newest link: the receive rule prepends the arrival pipe.
    /// A path that grows past four ids moves them to an array.
    @inlinable public mutating func prepend(_ id: UInt32) {
        switch storage {
        case .inline(let low, let high, let count) where Int(count) < Self.inlineCapacity:
            // Slot 3 is zero (count < 4), so shifting it out loses nothing.
            storage = .inline(low: low << 32 | UInt64(id), high: high << 32 | low >> 32, count: count + 1)
        case .inline(let low, let high, let count):
            storage = .spilled(Self.spill(low: low, high: high, count: count, first: id))
        case .spilled(var ids):
            storage = .inline(low: 0, high: 0, count: 0)  // drop the reference, so `ids` is unique
            ids.insert(id, at: 0)
            storage = .spilled(ids)
        }
    }

    /// Puts `id` at the end of the path, as the oldest link. A path that grows past four ids moves them to
    /// an array.
    @inlinable public mutating func append(_ id: UInt32) {
        switch storage {
        case .inline(let low, let high, let count) where Int(count) < Self.inlineCapacity:
            let shift = UInt64(count & 1) << 5
            if count < 2 {
                storage = .inline(low: low | UInt64(id) << shift, high: high, count: count + 1)
            } else {
                storage = .inline(low: low, high: high | UInt64(id) << shift, count: count + 1)
            }
        case .inline(let low, let high, let count):
            var ids = Self.spill(low: low, high: high, count: count, first: nil)
            ids.append(id)
            storage = .spilled(ids)
        case .spilled(var ids):
            storage = .inline(low: 0, high: 0, count: 0)  // drop the reference, so `ids` is unique
            ids.append(id)
            storage = .spilled(ids)
        }
    }

    /// Removes and returns the first (newest) id, which must exist: a hop strips the first destination
    /// id. A path that shrinks to four ids moves them back inline.
    @inlinable @discardableResult public mutating func removeFirst() -> UInt32 {
        switch storage {
        case .inline(let low, let high, let count):
            precondition(count > 0, "removeFirst() on an empty MessagePath")
            storage = .inline(low: low >> 32 | high << 32, high: high >> 32, count: count - 1)
            return UInt32(truncatingIfNeeded: low)
        case .spilled(var ids):
            precondition(!ids.isEmpty, "removeFirst() on an empty MessagePath")
            storage = .inline(low: 0, high: 0, count: 0)  // drop the reference, so `ids` is unique
            let first = ids.removeFirst()
            if ids.count <= Self.inlineCapacity {
                for id in ids { append(id) }
            } else {
                storage = .spilled(ids)
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
        case (.inline(let low, let high, let count), .inline(let otherLow, let otherHigh, let otherCount)):
            return low == otherLow && high == otherHigh && count == otherCount
        case (.spilled(let ids), .spilled(let otherIDs)):
            return ids == otherIDs
        default:
            return lhs.count == rhs.count && lhs.elementsEqual(rhs)
        }
    }

    /// Hashes the number of ids, then each id in order, however they are stored.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for id in self { hasher.combine(id) }
    }

    /// Id `index` (0..<4) of an inline path.
    @inlinable @inline(__always) static func slot(_ index: Int, low: UInt64, high: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (index < 2 ? low : high) >> (UInt64(index & 1) << 5))
    }

    /// The ids of a full inline path as an array with room to grow, after `first` when given.
    @usableFromInline static func spill(low: UInt64, high: UInt64, count: UInt8, first: UInt32?) -> [UInt32] {
        var ids = [UInt32]()
        ids.reserveCapacity(2 * Self.inlineCapacity)
        if let first { ids.append(first) }
        for index in 0..<Int(count) { ids.append(slot(index, low: low, high: high)) }
        return ids
    }
}
