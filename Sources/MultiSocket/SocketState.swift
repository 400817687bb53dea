/// Everything a ``Socket`` shares between tasks, guarded by the socket's mutex. Methods are small
/// transitions; the caller performs the returned actions (resuming continuations, writing to pipes)
/// after releasing the lock.
struct SocketState {
    enum Lifecycle {
        case open
        case closing
        case closed
    }

    struct PipeEntry {
        let pipe: Pipe
        /// A to-one dispatcher is writing to this pipe; nobody else may pick it.
        var held = false
        /// The pipe reported a non-empty outbound queue and has not drained since.
        var busy = false
        /// Incremented on each drain report; lets a writer tell whether a drain raced its write.
        var drains = 0
        /// Senders waiting for this pipe to drain, oldest first.
        var waiters = Ring<UInt64>()
    }

    struct PendingSend {
        var message: Message
        var pipeID: UInt32?
        /// Resumed with `true` once the message is queued or sent.
        var continuation: CheckedContinuation<Bool, any Error>
    }

    var lifecycle = Lifecycle.open
    var received = Ring<Message>()
    var receiverOrder = Ring<UInt64>()
    var receivers: [UInt64: CheckedContinuation<Message, any Error>] = [:]
    var pausedPipes: [UInt32: Pipe] = [:]
    /// To-one messages waiting for an idle pipe.
    var shared = Ring<Message>()
    /// Senders waiting for room in `shared`, oldest first.
    var sharedWaiters = Ring<UInt64>()
    /// Senders waiting for room, by id (in `sharedWaiters` or a pipe's `waiters`).
    var pendingSends: [UInt64: PendingSend] = [:]
    var pipes: [UInt32: PipeEntry] = [:]
    /// Pipes that may take a to-one message now, least recently used first (may hold stale ids).
    var idle = Ring<UInt32>()
    var nextID: UInt64 = 0
    var statistics = SocketStatistics()
    var lingerWaiter: CheckedContinuation<Void, Never>?
    var closeWaiters: [CheckedContinuation<Void, Never>] = []

    mutating func makeID() -> UInt64 {
        nextID += 1
        return nextID
    }

    mutating func count(_ reason: DropReason) {
        statistics.drops[reason, default: 0] += 1
    }

    mutating func countSent(_ message: Message) {
        statistics.messagesSent += 1
        statistics.bytesSent += message.content.count
    }

    /// Takes the least recently used pipe that can take a to-one message, and holds it.
    mutating func takeIdlePipe() -> Pipe? {
        while let id = idle.popFirst() {
            guard var entry = pipes[id], !entry.held, !entry.busy else { continue }
            entry.held = true
            pipes[id] = entry
            return entry.pipe
        }
        return nil
    }

    /// Lets a pipe go back to the idle ring (if it is not busy).
    mutating func release(_ id: UInt32) {
        guard var entry = pipes[id] else { return }
        entry.held = false
        pipes[id] = entry
        if !entry.busy { idle.append(id) }
    }

    /// Records that a write left `id`'s outbound queue non-empty, unless it drained since `drainsSeen`.
    /// Returns `true` when it did drain meanwhile: the caller still holds it and may keep writing.
    mutating func markBusy(_ id: UInt32, drainsSeen: Int) -> Bool {
        guard var entry = pipes[id] else { return false }
        if entry.drains != drainsSeen { return true }
        entry.busy = true
        entry.held = false
        pipes[id] = entry
        return false
    }

    /// Lets go of a closing pipe without offering it again.
    mutating func abandon(_ id: UInt32) {
        pipes[id]?.held = false
    }

    /// Takes the next queued to-one message, moving the oldest waiting sender's message into the queue.
    /// Returns the message and the continuation of the sender whose message was admitted.
    mutating func popShared() -> (Message, CheckedContinuation<Bool, any Error>?)? {
        guard let message = shared.popFirst() else { return nil }
        while let id = sharedWaiters.popFirst() {
            guard let pending = pendingSends.removeValue(forKey: id) else { continue }
            shared.append(pending.message)
            return (message, pending.continuation)
        }
        return (message, nil)
    }

    /// Hands a received message to a waiting receiver, or queues it. Returns the receiver to resume and
    /// whether the pipe may keep delivering.
    mutating func deliver(_ message: Message, from pipeID: UInt32, capacity: Int)
        -> (CheckedContinuation<Message, any Error>?, Bool)
    {
        while let id = receiverOrder.popFirst() {
            if let receiver = receivers.removeValue(forKey: id) { return (receiver, true) }
        }
        received.append(message)
        if received.count >= capacity, let entry = pipes[pipeID] {
            pausedPipes[pipeID] = entry.pipe
            return (nil, false)
        }
        return (nil, true)
    }

    /// Pipes to resume once the receive queue has room again.
    mutating func pipesToResume(capacity: Int) -> [Pipe] {
        // Hysteresis: paused pipes resume once the queue is half empty, so they deliver in batches
        // instead of one message per receive.
        guard received.count <= capacity / 2, !pausedPipes.isEmpty else { return [] }
        defer { pausedPipes = [:] }
        return Array(pausedPipes.values)
    }
}
