import CMultiSocketShims
import Glibc
import Synchronization

/// An object that receives readiness events for one file descriptor on the reactor thread.
package protocol ReactorHandler: AnyObject, Sendable {
    /// Called on the reactor thread with the epoll event bits.
    func reactorEvent(_ events: UInt32)
}

/// The I/O engine: one thread running an edge-triggered `epoll` loop, woken by an `eventfd`.
///
/// Readiness events, posted jobs and timers all run on that thread, in that order each turn. No thread
/// per connection, no polling: the loop sleeps in `epoll_wait` until a descriptor, a job or the
/// nearest timer needs it.
package final class Reactor: @unchecked Sendable {
    /// The reactor used by every connector unless told otherwise.
    package static let shared = Reactor(name: "multisocket-io")

    private enum Job {
        case closure(@Sendable () -> Void)
        case task(UnownedJob)
    }

    private struct Timer {
        var deadline: UInt64
        var id: UInt64
        var job: @Sendable () -> Void
    }

    private struct Queue {
        var jobs: [Job] = []
        var wakePending = false
        var timers: [Timer] = []
        var nextTimerID: UInt64 = 1
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let queue = Locked(Queue())
    private let threadID = Atomic<UInt>(0)
    private let kernelID = Atomic<Int32>(0)
    /// Handlers deregistered during the current turn; released once no event of the turn can name them.
    /// Touched only on the reactor thread.
    private var retiring: [Unmanaged<AnyObject>] = []
    /// The jobs of the current round, swapped out of the queue (so neither array is reallocated per round).
    /// Touched only on the reactor thread.
    private var running: [Job] = []
    private static let jobRoundsPerTurn = 64

    /// Creates a reactor and starts its thread.
    package init(name: String) {
        _ = AllocatorTuning.applied
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epollFD >= 0 && wakeFD >= 0, "cannot create the reactor's epoll or eventfd descriptor")
        var event = epoll_event()
        event.events = cms_epollin()
        event.data.u64 = 0
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, reactorThreadMain, context)
        precondition(created == 0, "cannot start the reactor thread")
        pthread_detach(thread)
    }

    /// The kernel's id of the reactor thread (as /proc/self/task names it), 0 until the thread has started.
    package var kernelThreadID: Int32 {
        kernelID.load(ordering: .relaxed)
    }

    /// Whether the caller runs on this reactor's thread.
    package var isCurrent: Bool {
        threadID.load(ordering: .acquiring) == UInt(pthread_self())
    }

    /// Checks, in debug builds, that the caller runs on this reactor's thread: the entry check of every
    /// method whose state is touched only there (SwiftNIO's `assertInEventLoop`). Release builds compile
    /// it away.
    @inline(__always)
    package func assertInReactor(file: StaticString = #fileID, line: UInt = #line) {
        assert(isCurrent, "must run on the reactor thread", file: file, line: line)
    }

    /// Registers `fd` for edge-triggered read, write and hang-up events delivered to `handler`.
    ///
    /// The reactor keeps `handler` alive until ``deregister(_:handler:)``.
    package func register(_ fd: Int32, handler: any ReactorHandler) -> Bool {
        let retained = Unmanaged<AnyObject>.passRetained(handler as AnyObject)
        var event = epoll_event()
        event.events = cms_epollin() | cms_epollout() | cms_epollrdhup() | cms_epollet()
        event.data.u64 = UInt64(UInt(bitPattern: retained.toOpaque()))
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) != 0 {
            retained.release()
            return false
        }
        return true
    }

    /// Stops events for `fd`. Must run on the reactor thread; the handler is released at the end of the
    /// current turn.
    package func deregister(_ fd: Int32, handler: any ReactorHandler) {
        precondition(isCurrent, "deregister must run on the reactor thread")
        var event = epoll_event()
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        retiring.append(Unmanaged<AnyObject>.passUnretained(handler as AnyObject))
    }

    /// Runs `job` on the reactor thread, after the events of the current turn.
    package func execute(_ job: @escaping @Sendable () -> Void) {
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

    /// Runs `job` on the reactor thread once `delay` has passed. Returns an id for ``cancelTimer(_:)``.
    @discardableResult
    package func schedule(after delay: Duration, _ job: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = Self.now() &+ Self.nanoseconds(delay)
        let id = queue.withLock { queue -> UInt64 in
            let id = queue.nextTimerID
            queue.nextTimerID += 1
            queue.timers.append(Timer(deadline: deadline, id: id, job: job))
            return id
        }
        if !isCurrent { signal() }
        return id
    }

    /// Cancels a timer that has not fired yet; a no-op otherwise.
    package func cancelTimer(_ id: UInt64) {
        queue.withLock { queue in queue.timers.removeAll { $0.id == id } }
    }

    private func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    fileprivate func run() {
        kernelID.store(cms_thread_id(), ordering: .relaxed)
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let count = epoll_wait(epollFD, events, Int32(capacity), waitTimeout())
            if count > 0 {
                for index in 0..<Int(count) {
                    let event = events[index]
                    if event.data.u64 == 0 {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, 8)
                        continue
                    }
                    let pointer = UnsafeRawPointer(bitPattern: UInt(event.data.u64))!
                    let handler = Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue()
                    (handler as! any ReactorHandler).reactorEvent(event.events)
                }
            }
            runDueTimers()
            runJobs()
            for handler in retiring { handler.release() }
            retiring.removeAll(keepingCapacity: true)
        }
    }

    /// Runs the posted jobs, including those they post, for a bounded number of rounds, so that a pair of
    /// tasks handing work to each other cannot keep the loop from polling its descriptors.
    private func runJobs() {
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

    private func runDueTimers() {
        let now = Self.now()
        let due = queue.withLock { queue -> [Timer] in
            let due = queue.timers.filter { $0.deadline <= now }
            if !due.isEmpty { queue.timers.removeAll { $0.deadline <= now } }
            return due
        }
        for timer in due.sorted(by: { $0.deadline < $1.deadline }) { timer.job() }
    }

    /// How long the loop may sleep in `epoll_wait`. With no job queued it is about to sleep, so the next
    /// post from another thread must wake it: `wakePending` is cleared here, under the same lock that posts
    /// check. (It used to stay set when ``runJobs()`` stopped after its last round of a long burst, whose jobs
    /// posted nothing more: the loop slept with the flag up, and every later post from another thread
    /// skipped the wake-up — a receiver waited forever for a message already read, a close for its
    /// listener's teardown.)
    private func waitTimeout() -> Int32 {
        queue.withLock { queue -> Int32 in
            if !queue.jobs.isEmpty { return 0 }
            queue.wakePending = false
            guard let nearest = queue.timers.map(\.deadline).min() else { return -1 }
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

    /// `duration` in nanoseconds; negative durations are 0.
    package static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}

/// The reactor runs tasks too: a task started with `withTaskExecutorPreference(socket.executor)` runs on
/// the reactor thread, so a message read there resumes its receiver without waking another thread, and a
/// reply written there leaves without a hop.
extension Reactor: TaskExecutor {
    /// Queues `job` to run on the reactor thread after the current turn's events.
    package func enqueue(_ job: consuming ExecutorJob) {
        post(.task(UnownedJob(job)))
    }
}

private func reactorThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let reactor = Unmanaged<Reactor>.fromOpaque(context!).takeRetainedValue()
    reactor.run()
    return nil
}
