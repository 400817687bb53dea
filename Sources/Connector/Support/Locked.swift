import Glibc

/// A value guarded by a `pthread_mutex_t`: the lock every shared state machine in MultiSocket sits behind.
///
/// It has `Synchronization.Mutex`'s shape (`withLock`), but its lock and unlock are calls the thread
/// sanitizer intercepts. `Mutex` on Linux parks on a futex inside the uninstrumented standard library, so
/// under `--sanitize=thread` every access it guards is reported as a race; with this lock the sanitizer
/// sees the happens-before edges and its reports mean something. The cost is the same futex underneath.
///
/// It is SPI (`@_spi(Internals) import MultiSocketConnector`), out of users' namespace; public rather than `package` so that `withLock` is
/// inlined and specialised in every module (an `@inlinable package` method is not, on this toolchain). The
/// value lives behind a pointer rather than in a stored property, so an access costs no dynamic
/// exclusivity check: the mutex already makes it exclusive.
///
/// ## Lock order
///
/// **Socket state, then link output, then reactor queue** (``LockRank``). Inside `withLock` a thread may
/// take only a lock of a higher rank; an unranked lock (the default) is a leaf, inside which only the reactor
/// queue may be taken. Nothing calls into another owner's lock from inside `withLock` except down this chain: the
/// socket may ask a link about its output, and anything may post to a reactor (`execute`, `schedule`,
/// `cancelTimer`). Debug builds check it on every `withLock` (a per-thread record of the ranks held; a
/// violation is an assertion failure naming both ranks); release builds compile the check away.
@_spi(Internals) public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let value: UnsafeMutablePointer<Value>
    /// The lock's ``LockRank`` raw value, 0 for an unranked leaf; read only by debug builds' order check.
    @usableFromInline let rank: Int8

    /// Creates a lock guarding `value`, with its place in the lock order (`nil`: an unranked leaf).
    public init(_ value: Value, rank: LockRank? = nil) {
        self.rank = rank?.rawValue ?? 0
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with exclusive access to the value, on the calling thread. Do not call out to other
    /// locks' owners from `body` except down the lock order, and never resume a continuation in it: return
    /// an action and perform it afterwards. Rethrows what `body` throws. Debug builds stop with an
    /// assertion when taking this lock breaks the order.
    @inlinable @inline(__always)
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        if _isDebugAssertConfiguration() { LockOrder.willLock(rank) }
        pthread_mutex_lock(mutex)
        defer {
            pthread_mutex_unlock(mutex)
            if _isDebugAssertConfiguration() { LockOrder.didUnlock(rank) }
        }
        return try body(&value.pointee)
    }
}
