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
@_spi(Internals) public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let value: UnsafeMutablePointer<Value>

    /// Creates a lock guarding `value`.
    public init(_ value: Value) {
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

    /// Runs `body` with exclusive access to the value. Do not call out to other locks' owners from
    /// `body`, and never resume a continuation in it: return an action and perform it afterwards.
    @inlinable @inline(__always)
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
