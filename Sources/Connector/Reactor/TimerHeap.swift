/// Pending timers as a binary min-heap ordered by deadline, ties broken by the order they were scheduled.
///
/// The heap holds deadlines and ids; the payloads (closures, which may keep a link alive) sit in a table by
/// id. Scheduling and firing cost O(log n). Cancelling costs O(1): the payload leaves the table at once
/// (releasing what it captured) and the heap entry stays as a tombstone, skipped when it reaches the top;
/// when tombstones outnumber live timers the heap is compacted in place (amortised O(1) per cancel), so a
/// stream of timers armed and cancelled long before their deadlines (a partial-frame timeout per frame)
/// cannot grow it. Nothing allocates per use once the storage has grown to the working set.
///
/// A plain value with no lock: the reactor keeps one behind its queue lock.
package struct TimerHeap<Payload> {
    private struct Entry {
        var deadline: UInt64
        var id: UInt64

        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : id < other.id
        }
    }

    private var entries: [Entry] = []
    /// The payloads of the timers scheduled and neither fired nor cancelled, by id.
    private var pending: [UInt64: Payload] = [:]
    private var nextID: UInt64 = 1
    /// Cancelled entries still in ``entries``.
    private var tombstones = 0
    /// Tombstones tolerated before a compaction is considered at all.
    private static var compactionFloor: Int { 64 }

    /// An empty heap.
    package init() {}

    /// The number of timers pending (scheduled, not fired, not cancelled).
    package var count: Int { pending.count }

    /// Whether no timer is pending.
    package var isEmpty: Bool { pending.isEmpty }

    /// The number of entries stored, tombstones included (for tests of compaction).
    package var storedCount: Int { entries.count }

    /// Adds a timer due at `deadline` (any monotonic unit); returns its id (nonzero, never reused).
    package mutating func schedule(at deadline: UInt64, _ payload: Payload) -> UInt64 {
        let id = nextID
        nextID += 1
        pending[id] = payload
        entries.append(Entry(deadline: deadline, id: id))
        siftUp(entries.count - 1)
        return id
    }

    /// Cancels the pending timer `id`; returns whether it was pending (a fired or cancelled id is a no-op).
    @discardableResult
    package mutating func cancel(_ id: UInt64) -> Bool {
        guard pending.removeValue(forKey: id) != nil else { return false }
        tombstones += 1
        if tombstones > Self.compactionFloor && tombstones * 2 > entries.count { compact() }
        return true
    }

    /// The earliest pending deadline, or `nil` when none is pending. Drops tombstones from the top.
    package mutating func nextDeadline() -> UInt64? {
        dropCancelledTop()
        return entries.first?.deadline
    }

    /// Removes and returns the earliest pending timer if it is due at `now` (deadline ≤ `now`); otherwise
    /// `nil`. Among timers with one deadline, the first scheduled comes first.
    package mutating func popDue(now: UInt64) -> Payload? {
        dropCancelledTop()
        guard let top = entries.first, top.deadline <= now else { return nil }
        removeTop()
        return pending.removeValue(forKey: top.id)
    }

    private mutating func dropCancelledTop() {
        while let top = entries.first, pending[top.id] == nil {
            removeTop()
            tombstones -= 1
        }
    }

    private mutating func removeTop() {
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        if !entries.isEmpty { siftDown(0) }
    }

    /// Drops every tombstone and restores the heap order bottom-up, in place.
    private mutating func compact() {
        let live = pending
        entries.removeAll { live[$0.id] == nil }
        tombstones = 0
        var index = entries.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            let right = left + 1
            let child = right < count && entries[right].precedes(entries[left]) ? right : left
            guard entries[child].precedes(entries[parent]) else { return }
            entries.swapAt(child, parent)
            parent = child
        }
    }
}
