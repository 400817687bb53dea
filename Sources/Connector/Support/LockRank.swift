/// A lock's place in MultiSocket's lock order, checked in debug builds (see ``Locked``).
///
/// The order, written once: **socket state, then link output, then reactor queue.** A thread holding a
/// lock may take only a lock of a higher rank; a lock with no rank is a leaf, inside which only the reactor
/// queue may be taken (to post a job or arm a timer whose id the state keeps: the reactor queue takes no
/// lock and calls nobody while held, so it closes no cycle). Nothing calls into another owner's lock from
/// inside `withLock` except down this chain.
@_spi(Internals) public enum LockRank: Int8, Sendable, Comparable {
    /// A socket's state machine (`Socket.state`).
    case socket = 1
    /// A link's output queue (a stream link's outbound buffer, an in-process channel's queues).
    case linkOutput = 2
    /// A reactor's queue of jobs and timers: the innermost lock, taken by `execute` and `schedule` from
    /// under any other.
    case reactorQueue = 3
    /// A `poll(2)` reactor backend's table of descriptors and interests: taken by a writer that waits for
    /// writability (possibly under its link's output lock) and by the reactor's loop, calling nobody while held.
    case reactorBackend = 4

    /// Whether `lhs` comes before `rhs` in the lock order (is taken first). Any thread; throws nothing.
    public static func < (lhs: LockRank, rhs: LockRank) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
