/// A path of pipe ids, newest first: the ids of the links a message crossed (its source), or the
/// links a reply must take (its destination).
///
/// Each hop uses the first id to pick its outgoing pipe; the next node strips it on receipt.
/// Ids are meaningful only inside the process that assigned them.
public struct MessagePath: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The ids, newest (nearest) first.
    public var ids: [UInt32]

    /// Creates a path from ids, newest first.
    public init(_ ids: [UInt32] = []) {
        self.ids = ids
    }

    /// Creates a path from a literal list of ids, newest first.
    public init(arrayLiteral elements: UInt32...) {
        self.ids = elements
    }

    /// The index of the first id.
    public var startIndex: Int { ids.startIndex }
    /// One past the index of the last id.
    public var endIndex: Int { ids.endIndex }
    /// The id at `position`.
    public subscript(position: Int) -> UInt32 { ids[position] }

    /// The ids joined by arrows, newest first.
    public var description: String {
        ids.map(String.init).joined(separator: "→")
    }
}
