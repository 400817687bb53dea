import MultiSocketConnector
@_spi(Internals) import MultiSocketConnector

/// The next sequence number expected from each sender, so a receiver can tell in-order arrivals from gaps
/// (lost messages) and from duplicates or reorderings. A sender's entry goes when its `bye` arrives, so
/// churning clients do not grow it.
final class SequenceLedger: Sendable {
    /// How a message's sequence number compares with the one expected.
    enum Arrival: Equatable {
        /// The expected one.
        case inOrder
        /// Later than expected: this many messages before it are missing.
        case gap(UInt64)
        /// Earlier than expected: a duplicate or a reordering.
        case misordered
    }

    private let next = Locked<[UInt32: UInt64]>([:])

    /// Records `sequence` from `peer`.
    func record(_ peer: UInt32, _ sequence: UInt64) -> Arrival {
        next.withLock { table in
            let expected = table[peer] ?? 0
            if sequence < expected { return .misordered }
            table[peer] = sequence + 1
            return sequence == expected ? .inOrder : .gap(sequence - expected)
        }
    }

    /// Forgets `peer`, which says it sent `count` messages; returns how many of them never arrived.
    func finish(_ peer: UInt32, count: UInt64) -> UInt64 {
        let expected = next.withLock { $0.removeValue(forKey: peer) } ?? 0
        return count > expected ? count - expected : 0
    }

    /// Forgets `peer` without its `bye`; returns the next sequence number it was expected to send.
    func remove(_ peer: UInt32) -> UInt64? {
        next.withLock { $0.removeValue(forKey: peer) }
    }

    /// Senders with an entry now.
    var count: Int { next.withLock { $0.count } }
}
