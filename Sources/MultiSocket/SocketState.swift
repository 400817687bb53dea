@_spi(Internals) import MultiSocketConnector
/// Everything a ``Socket`` shares between tasks, guarded by the socket's mutex. Methods are small
/// transitions; the caller performs the returned actions (resuming continuations, writing to pipes)
/// after releasing the lock.
struct SocketState {
    enum Lifecycle {
        case open
        case closing
        case closed
    }

    /// A pipe as the socket sees it. A class, so the idle ring and the id table share one record and a
    /// hand-off touches it without a table lookup; every field is read and written under the socket's lock
    /// (only `pipe` is read outside it).
    final class PipeEntry: @unchecked Sendable {
        let pipe: MessagePipe
        /// A dispatcher of the shared queue is writing to this pipe; nobody else may pick it.
        var held = false
        /// The pipe reported a full outbound queue and has not drained since.
        var busy = false
        /// The pipe was removed from the socket.
        var removed = false
        /// The pipe can send nothing more (its peer is gone for writing); it may still deliver.
        var stoppedSending = false
        /// The entry is in the idle ring (at most once).
        var inIdleRing = false
        /// Incremented on each drain report; lets a writer tell whether a drain raced its write.
        var drains = 0
        /// Senders waiting for this pipe to drain, oldest first.
        var waiters = Ring<UInt64>()

        init(pipe: MessagePipe) {
            self.pipe = pipe
        }

        /// Whether a to-one message may go to this pipe now.
        var canTake: Bool { !held && !busy && !removed && !stoppedSending && !pipe.isRaw }
    }

    struct PendingSend {
        var message: Message
        var pipeID: UInt32?
        /// Resumed with `true` once the message is queued or sent.
        var continuation: UnsafeContinuation<Bool, any Error>
    }

    var lifecycle = Lifecycle.open
    var received = Ring<Message>()
    var receiverOrder = Ring<UInt64>()
    var receivers: [UInt64: UnsafeContinuation<Message, any Error>] = [:]
    var pausedPipes: [UInt32: MessagePipe] = [:]
    /// To-one messages waiting for an idle pipe.
    var shared = Ring<Message>()
    /// Senders waiting for room in `shared`, oldest first.
    var sharedWaiters = Ring<UInt64>()
    /// Senders waiting for room, by id (in `sharedWaiters` or a pipe's `waiters`).
    var pendingSends: [UInt64: PendingSend] = [:]
    var pipes: [UInt32: PipeEntry] = [:]
    /// Pipes that may take a to-one message, least recently used first. Entries that turned busy, held or
    /// removed since are skipped (and dropped) when met; removed ones are also swept out once they are half
    /// the ring, so that a socket that never sends to one peer does not keep every pipe it ever had.
    var idle = Ring<PipeEntry>()
    /// Removed entries still in `idle`.
    var removedInIdle = 0
    var nextID: UInt64 = 0
    var statistics = SocketStatistics()
    var lingerWaiter: UnsafeContinuation<Void, Never>?
    var closeWaiters: [UnsafeContinuation<Void, Never>] = []

    /// Forgets a removed pipe: its entry leaves the table, and the idle ring is swept when removed entries
    /// make up half of it. Returns the entry, if the pipe was there.
    mutating func remove(_ pipeID: UInt32) -> PipeEntry? {
        guard let entry = pipes.removeValue(forKey: pipeID) else { return nil }
        entry.removed = true
        pausedPipes[pipeID] = nil
        statistics.pipesRemoved += 1
        if entry.inIdleRing {
            removedInIdle += 1
            if 2 * removedInIdle >= idle.count { sweepIdle() }
        }
        return entry
    }

    /// Takes the senders waiting for `entry`'s pipe to drain, oldest first (to be failed: the pipe is gone or
    /// can send nothing more).
    mutating func takeWaiters(of entry: PipeEntry) -> [PendingSend] {
        entry.waiters.removeAll().compactMap { pendingSends.removeValue(forKey: $0) }
    }

    /// Drops removed entries from the idle ring, keeping the others in order.
    private mutating func sweepIdle() {
        var kept = Ring<PipeEntry>()
        while let entry = idle.popFirst() {
            if entry.removed {
                entry.inIdleRing = false
            } else {
                kept.append(entry)
            }
        }
        idle = kept
        removedInIdle = 0
    }

    /// Whether every message sent to one peer reached a transport: none waits in the shared queue, and none
    /// is in a dispatcher's hands between the queue and a pipe (a held entry).
    var sharedQueueDelivered: Bool {
        shared.isEmpty && !pipes.values.contains { $0.held }
    }

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

    mutating func uncountSent(_ message: Message) {
        statistics.messagesSent -= 1
        statistics.bytesSent -= message.content.count
    }

    /// The least recently used pipe that can take a to-one message now, moved to the back of the idle ring
    /// (round robin) but not held: for a sender that writes one message to it directly.
    mutating func nextIdlePipe() -> PipeEntry? {
        while let entry = idle.popFirst() {
            if entry.canTake {
                idle.append(entry)
                return entry
            }
            leaveIdle(entry)
        }
        return nil
    }

    /// Marks an entry popped from the idle ring as out of it.
    private mutating func leaveIdle(_ entry: PipeEntry) {
        entry.inIdleRing = false
        if entry.removed { removedInIdle -= 1 }
    }

    /// Takes the least recently used pipe that can take a to-one message, and holds it (for a dispatcher
    /// of the shared queue).
    mutating func takeIdlePipe() -> PipeEntry? {
        while let entry = idle.popFirst() {
            leaveIdle(entry)
            if entry.canTake {
                entry.held = true
                return entry
            }
        }
        return nil
    }

    /// Puts `entry` in the idle ring if it can take to-one messages and is not there yet.
    mutating func offer(_ entry: PipeEntry) {
        guard entry.canTake, !entry.inIdleRing else { return }
        entry.inIdleRing = true
        idle.append(entry)
    }

    /// Lets a held pipe go back to the idle ring (if it is not busy).
    mutating func release(_ entry: PipeEntry) {
        entry.held = false
        offer(entry)
    }

    /// Records that a write filled `entry`'s outbound queue, unless it drained since `drainsSeen`. Returns
    /// `true` when it did drain meanwhile: the pipe can still take messages (a holder keeps holding it).
    mutating func markBusy(_ entry: PipeEntry, drainsSeen: Int) -> Bool {
        if entry.removed { return false }
        if entry.drains != drainsSeen { return true }
        entry.busy = true
        entry.held = false
        return false
    }

    /// A pipe to carry on with the shared queue, held, when messages are waiting there.
    mutating func carrierForShared() -> PipeEntry? {
        shared.isEmpty ? nil : takeIdlePipe()
    }

    /// Puts messages a pipe did not take back at the front of the shared queue, in their order.
    mutating func putBack(_ rest: inout Ring<Message>) {
        guard !rest.isEmpty else { return }
        let back = rest.removeAll()
        for message in back.reversed() { shared.prepend(message) }
    }

    /// Moves up to `limit` queued to-one messages into `batch`, admitting the oldest waiting senders'
    /// messages into the queue as room frees up; their continuations go to `admitted`.
    mutating func popShared(upTo limit: Int, into batch: inout Ring<Message>,
                            admitted: inout [UnsafeContinuation<Bool, any Error>]) {
        while batch.count < limit, let message = shared.popFirst() {
            batch.append(message)
            while let id = sharedWaiters.popFirst() {
                guard let pending = pendingSends.removeValue(forKey: id) else { continue }
                shared.append(pending.message)
                admitted.append(pending.continuation)
                break
            }
        }
    }

    /// Hands a received message to a waiting receiver, or queues it. Returns the receiver to resume and
    /// whether the pipe may keep delivering.
    mutating func deliver(_ message: Message, from pipeID: UInt32, capacity: Int)
        -> (UnsafeContinuation<Message, any Error>?, Bool)
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

    /// Hands received messages to waiting receivers (collected in `handed`, to resume) and queues the rest,
    /// all of them: a batch may take the queue past its capacity, by at most one batch per pipe. Returns
    /// whether the pipe may keep delivering.
    mutating func deliver(_ messages: inout Ring<Message>, from pipeID: UInt32, capacity: Int,
                          handed: inout [(UnsafeContinuation<Message, any Error>, Message)]) -> Bool {
        statistics.messagesReceived += messages.count
        while !receivers.isEmpty, let id = receiverOrder.popFirst() {
            guard let receiver = receivers.removeValue(forKey: id) else { continue }
            guard let message = messages.popFirst() else {
                receiverOrder.prepend(id)
                receivers[id] = receiver
                break
            }
            statistics.bytesReceived += message.content.count
            handed.append((receiver, message))
        }
        if received.isEmpty {
            swap(&received, &messages)
            for message in received { statistics.bytesReceived += message.content.count }
        } else {
            while let message = messages.popFirst() {
                statistics.bytesReceived += message.content.count
                received.append(message)
            }
        }
        if received.count >= capacity, let entry = pipes[pipeID] {
            pausedPipes[pipeID] = entry.pipe
            return false
        }
        return true
    }

    /// Pipes to resume once the receive queue has room again.
    mutating func pipesToResume(capacity: Int) -> [MessagePipe] {
        // Hysteresis: paused pipes resume once the queue is half empty, so they deliver in batches
        // instead of one message per receive.
        guard received.count <= capacity / 2, !pausedPipes.isEmpty else { return [] }
        defer { pausedPipes = [:] }
        return Array(pausedPipes.values)
    }
}
