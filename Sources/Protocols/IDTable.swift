/// Entries under 32-bit ids, as the request ids of ``Req`` and the survey ids of ``Surveyor``: ids come from
/// a counter (seeded randomly) that skips ids still in use and always has the high bit set, as the SP wire
/// requires of the id at the bottom of a backtrace (it tells the id from the hops devices push); closing
/// refuses new entries and hands back the ones held. It is the state each of their cores keeps behind its lock.
struct IDTable<Entry> {
    private var next: UInt32
    private var entries: [UInt32: Entry] = [:]
    /// Whether ``close()`` was called.
    private(set) var closed = false
    /// Messages that matched no entry (late, unknown, malformed), counted by the owner.
    var dropped = 0

    init(seed: UInt32) {
        next = seed
    }

    /// The number of entries held.
    var count: Int { entries.count }

    /// The entry under `id`; setting `nil` removes it.
    subscript(id: UInt32) -> Entry? {
        get { entries[id] }
        set { entries[id] = newValue }
    }

    /// Stores `entry` under a fresh id and returns the id.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the table is closed.
    mutating func add(_ entry: Entry) throws(MultiSocketError) -> UInt32 {
        guard !closed else { throw MultiSocketError(.closed, "socket closed") }
        repeat { next = (next &+ 1) | 0x8000_0000 } while entries[next] != nil
        entries[next] = entry
        return next
    }

    /// Lets `body` update every entry in place.
    mutating func updateEach(_ body: (inout Entry) -> Void) {
        for index in entries.values.indices { body(&entries.values[index]) }
    }

    /// Removes and returns the entry under `id`.
    mutating func remove(_ id: UInt32) -> Entry? {
        entries.removeValue(forKey: id)
    }

    /// Refuses new entries and returns every entry held (they stay, for their owners to collect).
    mutating func close() -> [Entry] {
        closed = true
        return Array(entries.values)
    }

    /// Removes every entry.
    mutating func removeAll() {
        entries = [:]
    }
}
