@_spi(Internals) import MultiSocketConnector

/// Tasks waiting on a stream's or listener's state, each with its optional deadline timer. A value kept
/// inside the owner's `Locked` state; continuations are resumed by the caller after the lock.
struct WaiterTable: Sendable {
    /// What a waiter waits for.
    enum Kind: Sendable, Hashable {
        case read, write, connect, accept, room
    }

    struct Entry: Sendable {
        let kind: Kind
        let continuation: CheckedContinuation<Void, any Error>
        var timer: SocketTimer?
    }

    private var entries: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 0

    /// How many tasks wait.
    var count: Int { entries.count }

    /// A fresh waiter id.
    mutating func makeID() -> UInt64 {
        nextID &+= 1
        return nextID
    }

    mutating func add(_ id: UInt64, _ kind: Kind, _ continuation: CheckedContinuation<Void, any Error>) {
        entries[id] = Entry(kind: kind, continuation: continuation)
    }

    /// Records the timer of a waiter still waiting; `false` if it was resumed already.
    mutating func setTimer(_ id: UInt64, _ timer: SocketTimer) -> Bool {
        guard entries[id] != nil else { return false }
        entries[id]?.timer = timer
        return true
    }

    /// Removes one waiter, if it still waits.
    mutating func remove(_ id: UInt64) -> Entry? {
        entries.removeValue(forKey: id)
    }

    /// Removes every waiter of the given kinds.
    mutating func removeAll(_ kinds: Set<Kind>) -> [Entry] {
        let chosen = entries.filter { kinds.contains($0.value.kind) }
        for id in chosen.keys { entries.removeValue(forKey: id) }
        return Array(chosen.values)
    }

    /// Removes every waiter.
    mutating func removeAll() -> [Entry] {
        defer { entries.removeAll() }
        return Array(entries.values)
    }
}

/// Something whose state keeps a ``WaiterTable``.
protocol HasWaiters: Sendable {
    var waiters: WaiterTable { get set }
}

/// How a wait begins.
enum WaitStart { case ready, cancelled, expired, waiting }

/// Resumes `entries` (after the lock), cancelling their timers on `socket`'s I/O thread.
func resume(_ entries: [WaiterTable.Entry], on socket: Socket, throwing error: (any Error)? = nil) {
    for entry in entries {
        if let timer = entry.timer { socket.cancel(timer) }
        if let error { entry.continuation.resume(throwing: error) } else { entry.continuation.resume() }
    }
}

/// Suspends until `ready` holds for the state in `lock` (checked when registering, then whenever the owner
/// resumes waiters of `kind`), `deadline` passes (throws `timeout`) or the task is cancelled (throws
/// `CancellationError`). Returns at once without suspending when `ready` already holds. Runs on the
/// caller's executor; the deadline timer runs on `socket`'s I/O thread.
func waitUntil<State: HasWaiters>(
    _ lock: Locked<State>,
    _ kind: WaiterTable.Kind,
    socket: Socket,
    deadline: ContinuousClock.Instant?,
    timeout: StreamError,
    ready: @escaping @Sendable (borrowing State) -> Bool
) async throws {
    let id = lock.withLock { $0.waiters.makeID() }
    try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = lock.withLock { state -> WaitStart in
                if ready(state) { return .ready }
                if Task.isCancelled { return .cancelled }
                if let deadline, deadline <= .now { return .expired }
                state.waiters.add(id, kind, continuation)
                return .waiting
            }
            switch start {
            case .ready: continuation.resume()
            case .cancelled: continuation.resume(throwing: CancellationError())
            case .expired: continuation.resume(throwing: timeout)
            case .waiting:
                guard let deadline else { return }
                let timer = socket.schedule(after: deadline - .now) {
                    if let entry = lock.withLock({ $0.waiters.remove(id) }) {
                        entry.continuation.resume(throwing: timeout)
                    }
                }
                if !lock.withLock({ $0.waiters.setTimer(id, timer) }) { socket.cancel(timer) }
            }
        }
    } onCancel: {
        if let entry = lock.withLock({ $0.waiters.remove(id) }) {
            resume([entry], on: socket, throwing: CancellationError())
        }
    }
}
