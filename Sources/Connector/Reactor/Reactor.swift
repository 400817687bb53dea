import CMultiSocketShims
import Glibc
import Synchronization

/// An I/O engine: one named thread running an edge-triggered readiness loop (`epoll`, or `poll(2)` with edges
/// emulated: ``IOBackend``), woken by an `eventfd`; a member of a ``ReactorGroup``.
///
/// Readiness events, then due timers, then posted jobs run on that thread, in that order each turn. No
/// thread per connection, no polling: the loop sleeps in `epoll_wait` until a descriptor, a job or the
/// nearest timer needs it.
///
/// Thread rules. Any thread may call ``register(_:handler:)``, ``execute(_:)``, ``schedule(after:_:)``,
/// ``cancelTimer(_:)``, ``isCurrent`` and ``assertInReactor(file:line:)``. ``deregister(_:handler:)``
/// must run on this reactor's thread. Handlers' ``ReactorHandler/reactorEvent(_:)``, jobs and timers run
/// on this reactor's thread and must not block it. State touched only on the thread is checked with
/// ``assertInReactor(file:line:)`` at the entry of each method that touches it (debug builds only).
/// A reactor lives as long as its group: for the life of the process.
public final class Reactor: @unchecked Sendable {
    private enum Job {
        case closure(@Sendable () -> Void)
        case task(UnownedJob)
    }

    private struct Queue {
        var jobs: [Job] = []
        var wakePending = false
        var timers = TimerHeap<@Sendable () -> Void>()
    }

    /// The reactor's name, also its thread's name (cut to the kernel's 15 bytes): the group's name and
    /// the reactor's index, e.g. "multisock-io-0".
    public let name: String
    /// The reactor's position in its group.
    public let index: Int
    /// Set once by ``start(in:)``, before the thread starts and before any other thread can see the reactor.
    private var owner: ReactorGroup?
    private let backend: any ReactorBackend
    private let queue = Locked(Queue(), rank: .reactorQueue)
    private let threadID = Atomic<UInt>(0)
    private let kernelID = Atomic<Int32>(0)
    /// Pipes handed out by ``nextForPipe()``.
    private let pipeCursor = Atomic<Int>(0)
    /// Descriptors registered and not yet deregistered.
    private let registrations = Atomic<Int>(0)
    /// Handlers deregistered during the current turn; released once no event of the turn can name them.
    /// Touched only on the reactor thread.
    private var retiring: [Unmanaged<AnyObject>] = []
    /// The jobs of the current round, swapped out of the queue (so neither array is reallocated per round).
    /// Touched only on the reactor thread.
    private var running: [Job] = []
    /// The timers due this turn, taken from the heap under the lock and run outside it. Touched only on the
    /// reactor thread.
    private var dueTimers: [@Sendable () -> Void] = []
    private static let jobRoundsPerTurn = 64

    /// Creates a reactor whose thread ``start(in:)`` starts, waiting on `backend`.
    init(name: String, index: Int, backend: IOBackend) {
        self.name = name
        self.index = index
        self.backend = switch backend {
        case .epoll: EpollBackend()
        case .poll: PollBackend()
        }
    }

    /// Joins `group` and starts the thread; called once, by the group's initialiser.
    func start(in group: ReactorGroup) {
        owner = group
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, reactorThreadMain, context)
        precondition(created == 0, "cannot start the reactor thread")
        pthread_detach(thread)
    }

    /// The group this reactor belongs to.
    public var group: ReactorGroup { owner! }

    /// The reactor that takes the next new pipe of a socket whose home is this reactor: round-robin over
    /// the group starting with this reactor (one cursor per reactor, shared by the sockets at home here), so
    /// the first pipe made from here shares this thread. Any thread.
    public func nextForPipe() -> Reactor {
        let reactors = group.reactors
        let turn = pipeCursor.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
        return reactors[(index + turn % reactors.count) % reactors.count]
    }

    /// The kernel's id of the reactor thread (as /proc/self/task names it), 0 until the thread has started.
    /// Any thread.
    public var kernelThreadID: Int32 {
        kernelID.load(ordering: .relaxed)
    }

    /// The number of descriptors registered and not yet deregistered: the reactor's share of the pipes
    /// and listeners. Any thread; a snapshot.
    public var registeredDescriptors: Int {
        registrations.load(ordering: .relaxed)
    }

    /// The reactor whose thread calls this, or `nil` off every reactor thread. Any thread.
    package static var current: Reactor? {
        pthread_getspecific(currentKey).map { Unmanaged<Reactor>.fromOpaque($0).takeUnretainedValue() }
    }

    /// The thread-specific slot naming a reactor thread's reactor (reactors live for the process: unretained).
    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "cannot create the reactor thread key")
        return key
    }()

    /// Whether the caller runs on this reactor's thread. Any thread.
    public var isCurrent: Bool {
        threadID.load(ordering: .acquiring) == UInt(pthread_self())
    }

    /// Whether ``assertInReactor(file:line:)`` would stop the caller: `true` off this reactor's thread in a
    /// debug build, always `false` in a release build (where the check is compiled away). Any thread.
    package var threadCheckFails: Bool {
        _isDebugAssertConfiguration() && !isCurrent
    }

    /// Checks, in debug builds, that the caller runs on this reactor's thread: the entry check of every
    /// method whose state is touched only there (SwiftNIO's `assertInEventLoop`). A failure stops the
    /// process with an assertion. Release builds compile it away. Any thread may call it.
    @inline(__always)
    public func assertInReactor(file: StaticString = #fileID, line: UInt = #line) {
        if threadCheckFails { assertionFailure("must run on the reactor thread \(name)", file: file, line: line) }
    }

    /// Registers `fd` for edge-triggered read, write and hang-up events delivered to `handler` on this
    /// reactor's thread, and returns whether epoll accepted it (`false`: a bad or already registered
    /// descriptor; `errno` says why). Any thread. The reactor keeps `handler` alive until
    /// ``deregister(_:handler:)``; the first event may arrive before this returns.
    public func register(_ fd: Int32, handler: any ReactorHandler) -> Bool {
        let retained = Unmanaged<AnyObject>.passRetained(handler as AnyObject)
        guard backend.add(fd, token: UInt64(UInt(bitPattern: retained.toOpaque()))) else {
            retained.release()
            return false
        }
        registrations.wrappingAdd(1, ordering: .relaxed)
        if !isCurrent { signal() }  // a poll loop asleep would not watch it before its next turn
        return true
    }

    /// Stops events for `fd`, registered with `handler`. Must run on this reactor's thread (a precondition,
    /// in every build); the handler is released at the end of the current turn, so an event of this turn
    /// naming it stays safe. Closing `fd` is the caller's business, afterwards.
    public func deregister(_ fd: Int32, handler: any ReactorHandler) {
        precondition(isCurrent, "deregister must run on the reactor thread \(name)")
        backend.remove(fd)
        registrations.wrappingAdd(-1, ordering: .relaxed)
        retiring.append(Unmanaged<AnyObject>.passUnretained(handler as AnyObject))
    }

    /// Says that a write to `fd` met `EAGAIN` and its handler waits for an `EPOLLOUT` event. Call it after every
    /// such write (before or after recording that you wait: an event may arrive at once): with `epoll` it costs
    /// nothing (edges come by themselves); the `poll(2)` backend watches writability only when told. Any
    /// thread; throws nothing.
    public func awaitWritable(_ fd: Int32) {
        if backend.awaitWritable(fd) && !isCurrent { signal() }
    }

    /// Turns readiness-for-reading events of `fd` off (`false`: its handler stops reading before `EAGAIN` on
    /// purpose, leaving bytes unread, as a paused receiver or an accept loop out of descriptors does) or on
    /// again (`true`: it reads once more). With `epoll` it costs nothing; the `poll(2)` backend would
    /// otherwise report the unread bytes every turn. Events are on from ``register(_:handler:)``. Any thread;
    /// throws nothing.
    public func setReadInterest(_ fd: Int32, _ wanted: Bool) {
        if backend.setReadInterest(fd, wanted) && !isCurrent { signal() }
    }

    /// Runs `job` on this reactor's thread, after the events of the current turn, in the order posted.
    /// Any thread; a job posted from the reactor's own thread runs later in the same turn or the next.
    /// It cannot be cancelled.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        post(.closure(job))
    }

    private func post(_ job: Job) {
        let wake = queue.withLock { queue -> Bool in
            queue.jobs.append(job)
            defer { queue.wakePending = true }
            return !queue.wakePending
        }
        if wake && !isCurrent { signal() }
    }

    /// Runs `job` on this reactor's thread once `delay` has passed (a negative delay counts as zero).
    /// Timers fire in deadline order, those with one deadline in the order scheduled; a timer scheduled by
    /// a running timer fires on a later turn. Returns an id for ``cancelTimer(_:)``. Any thread; O(log n).
    @discardableResult
    public func schedule(after delay: Duration, _ job: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = Self.now() &+ Self.nanoseconds(delay)
        let (id, earliest) = queue.withLock { queue -> (UInt64, Bool) in
            let before = queue.timers.nextDeadline()
            let id = queue.timers.schedule(at: deadline, job)
            return (id, before.map { deadline < $0 } ?? true)
        }
        // The loop sleeps no longer than its earliest timer; only a new earliest one must wake it.
        if earliest && !isCurrent { signal() }
        return id
    }

    /// Cancels the timer `id` if it has not fired yet; a no-op otherwise. Any thread; O(1). A timer already
    /// taken into the batch of the turn now running still runs (a timer cancelling another due in the same
    /// turn does not stop it).
    public func cancelTimer(_ id: UInt64) {
        queue.withLock { queue in _ = queue.timers.cancel(id) }
    }

    private func signal() {
        backend.wake()
    }

    fileprivate func run() {
        kernelID.store(cms_thread_id(), ordering: .relaxed)
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        pthread_setspecific(Self.currentKey, Unmanaged.passUnretained(self).toOpaque())
        nameThread()
        while true {
            backend.wait(timeout: waitTimeout()) { token, events in dispatch(token, events) }
            runDueTimers()
            runJobs()
            releaseRetired()
        }
    }

    /// Gives the calling thread (the reactor's) the reactor's name, as `pthread_setname_np` does (which
    /// Glibc's Swift module does not export): through /proc, cut to the kernel's 15 bytes.
    private func nameThread() {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
    }

    /// Hands one event of a turn to its handler (`token`: the handler, retained by ``register(_:handler:)``).
    private func dispatch(_ token: UInt64, _ events: UInt32) {
        assertInReactor()
        let pointer = UnsafeRawPointer(bitPattern: UInt(token))!
        let handler = Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue()
        (handler as! any ReactorHandler).reactorEvent(events)
    }

    /// Releases the handlers deregistered this turn: no event of the turn can name them any more.
    private func releaseRetired() {
        assertInReactor()
        for handler in retiring { handler.release() }
        retiring.removeAll(keepingCapacity: true)
    }

    /// Runs the posted jobs, including those they post, for a bounded number of rounds, so that a pair of
    /// tasks handing work to each other cannot keep the loop from polling its descriptors.
    private func runJobs() {
        assertInReactor()
        for _ in 0..<Self.jobRoundsPerTurn {
            queue.withLock { queue in
                if queue.jobs.isEmpty {
                    queue.wakePending = false
                } else {
                    swap(&queue.jobs, &running)
                }
            }
            if running.isEmpty { return }
            for job in running {
                switch job {
                case .closure(let body): body()
                case .task(let task): task.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            running.removeAll(keepingCapacity: true)
        }
    }

    /// Runs the timers due now, earliest first; those they schedule wait for a later turn. Allocates
    /// nothing once ``dueTimers`` has grown to the largest batch.
    private func runDueTimers() {
        assertInReactor()
        let now = Self.now()
        var due = dueTimers
        dueTimers = []
        queue.withLock { queue in
            while let job = queue.timers.popDue(now: now) { due.append(job) }
        }
        for job in due { job() }
        due.removeAll(keepingCapacity: true)
        dueTimers = due
    }

    /// How long the loop may sleep in `epoll_wait`. With no job queued it is about to sleep, so the next
    /// post from another thread must wake it: `wakePending` is cleared here, under the same lock that posts
    /// check. (It used to stay set when ``runJobs()`` stopped after its last round of a long burst, whose jobs
    /// posted nothing more: the loop slept with the flag up, and every later post from another thread
    /// skipped the wake-up — a receiver waited forever for a message already read, a close for its
    /// listener's teardown.)
    private func waitTimeout() -> Int32 {
        assertInReactor()
        return queue.withLock { queue -> Int32 in
            if !queue.jobs.isEmpty { return 0 }
            queue.wakePending = false
            guard let nearest = queue.timers.nextDeadline() else { return -1 }
            let now = Self.now()
            if nearest <= now { return 0 }
            return Int32(clamping: (nearest - now + 999_999) / 1_000_000)
        }
    }

    private static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// `duration` in nanoseconds; negative durations are 0. (A negative duration under a second has
    /// seconds 0 and negative attoseconds: checking the seconds alone trapped on it.)
    package static func nanoseconds(_ duration: Duration) -> UInt64 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}

/// The reactor runs tasks too: a task started with `withTaskExecutorPreference(socket.executor)` runs on
/// the socket's home reactor thread, so a message read there resumes its receiver without waking another
/// thread, and a reply written there leaves without a hop.
extension Reactor: TaskExecutor {
    /// Queues `job` to run on this reactor's thread after the current turn's events. Any thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        post(.task(UnownedJob(job)))
    }
}

private func reactorThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let reactor = Unmanaged<Reactor>.fromOpaque(context!).takeRetainedValue()
    reactor.run()
    return nil
}
