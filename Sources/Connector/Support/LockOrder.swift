import Glibc

/// The debug-build check of the lock order (``LockRank``): a per-thread count of the locks held, by rank.
///
/// ``Locked/withLock(_:)`` calls it only when `_isDebugAssertConfiguration()` holds, so release builds
/// compile it away. Runs on whichever thread takes the lock; throws nothing; a violation stops the
/// process with an assertion naming both ranks.
@usableFromInline package enum LockOrder {
    /// Slot 0 counts unranked (leaf) locks; slot r counts locks of rank r.
    private static let slots = Int(LockRank.reactorBackend.rawValue) + 1

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { record in free(record) }
        precondition(created == 0, "cannot create the lock-order thread key")
        return key
    }()

    /// The calling thread's counts, created zeroed on first use and freed when the thread exits.
    private static var held: UnsafeMutablePointer<Int32> {
        if let record = pthread_getspecific(key) { return record.assumingMemoryBound(to: Int32.self) }
        let record = calloc(slots, MemoryLayout<Int32>.stride)!
        pthread_setspecific(key, record)
        return record.assumingMemoryBound(to: Int32.self)
    }

    /// The first lock the calling thread holds that forbids taking a lock of `rank` (0: unranked), as the
    /// rank it holds (0: an unranked leaf), or `nil` when taking it keeps the order.
    package static func conflict(taking rank: Int8) -> Int8? {
        guard rank > 0 else { return nil }
        let held = held
        // The reactor queue is the innermost lock: any lock may post a job or arm a timer under it.
        if held[0] > 0 && rank < LockRank.reactorQueue.rawValue { return 0 }
        for slot in Int(rank)..<slots where held[slot] > 0 { return Int8(slot) }
        return nil
    }

    /// Records that the calling thread is about to take a lock of `rank`, after checking the order.
    @usableFromInline static func willLock(_ rank: Int8) {
        if let holding = conflict(taking: rank) {
            assertionFailure("lock order: a lock of rank \(describe(rank)) taken while holding one of rank "
                + "\(describe(holding)) (order: socket, link output, reactor queue; unranked locks take only the "
                + "reactor queue)")
        }
        held[Int(rank)] += 1
    }

    /// Records that the calling thread released a lock of `rank`.
    @usableFromInline static func didUnlock(_ rank: Int8) {
        held[Int(rank)] -= 1
    }

    private static func describe(_ rank: Int8) -> String {
        LockRank(rawValue: rank).map { "\($0)" } ?? "unranked"
    }
}
