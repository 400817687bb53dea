@_spi(Internals) import MultiSocketConnector

/// Everything a ``Socket`` shares between tasks, as a value the socket keeps behind its lock.
///
/// Each transition is one mutating method that the socket calls inside one `withLock`; it returns a named
/// action that the socket then performs outside the lock (resuming continuations, writing to pipes,
/// emitting events). The state holds no pipe logic and no class of its own: pipes are handles keyed by id
/// and waiters are opaque values (``SocketStateTypes``), so the state machine is unit-tested with none of
/// the I/O behind it. Nothing here blocks or calls out, except ``SocketStatePipe/watchPendingOutput()``
/// while checking whether a closing socket has flushed (the lock order: socket, then link output).
struct SocketState<Types: SocketStateTypes> {
    typealias Pipe = Types.Pipe

    enum Lifecycle {
        case open
        case closing
        case closed
    }

    /// A pipe as the socket sees it.
    struct PipeRecord {
        let pipe: Pipe
        let id: UInt32
        let isRaw: Bool
        /// A dispatcher of the shared queue is writing to this pipe; nobody else may pick it.
        var held = false
        /// The pipe reported a full outbound queue and has not drained since.
        var busy = false
        /// The pipe can send nothing more (its peer is gone for writing); it may still deliver.
        var stoppedSending = false
        /// The pipe's id is in the idle ring (at most once).
        var inIdleRing = false
        /// Incremented on each drain report; lets a writer tell whether a drain raced its write.
        var drains = 0
        /// Senders waiting for this pipe to drain, oldest first.
        var waiters = Ring<UInt64>()

        init(pipe: Pipe) {
            self.pipe = pipe
            id = pipe.id
            isRaw = pipe.isRaw
        }

        /// Whether a to-one message may go to this pipe now.
        var canTake: Bool { !held && !busy && !stoppedSending && !isRaw }
    }

    /// A sender waiting for room: in the shared queue (`pipeID` nil) or in one pipe.
    struct PendingSend {
        let id: UInt64
        let message: Message
        let pipeID: UInt32?
        let sender: Types.Sender
    }

    /// Capacity of the shared to-one queue.
    let sendQueueSize: Int
    /// Capacity of the receive queue; a pipe that fills it is paused.
    let receiveQueueSize: Int
    /// Whether a full queue drops instead of suspending.
    let bestEffort: Bool

    var lifecycle = Lifecycle.open
    /// The socket takes no more input (``stopReceiving()``): pipes stay paused, and an empty queue reads as closed.
    var receivingStopped = false
    /// Received messages nobody has taken yet.
    var received = Ring<Message>()
    var receiverOrder = Ring<UInt64>()
    var receivers: [UInt64: Types.Receiver] = [:]
    /// Pipes paused because the receive queue is full.
    var pausedPipes: [UInt32: Pipe] = [:]
    /// To-one messages waiting for an idle pipe.
    var shared = Ring<Message>()
    /// Senders waiting for room in `shared`, oldest first.
    var sharedWaiters = Ring<UInt64>()
    /// Senders waiting for room, by id (in `sharedWaiters` or a pipe's `waiters`).
    var pendingSends: [UInt64: PendingSend] = [:]
    var pipes = PipeTable()
    /// Pipes that may take a to-one message, least recently used first. Pipes that turned busy, held or
    /// were removed since are skipped (and dropped) when met; removed ones are also swept out once they are
    /// half the ring, so that a socket that never sends to one peer does not keep every pipe it ever had.
    var idle = Ring<PipeRef>()
    /// Ids of removed pipes still in `idle`.
    var removedInIdle = 0
    /// Pipes that may take to-one messages at all: framed, and able to send.
    var sendingPipes = 0
    var nextID: UInt64 = 0
    var statistics = SocketStatistics()
    var lingerWaiter: Types.Closer?
    /// The linger time has passed (``lingerExpired()``): a closer registered now does not wait.
    var lingerOver = false
    var closeWaiters: [Types.Closer] = []

    init(sendQueueSize: Int, receiveQueueSize: Int, bestEffort: Bool) {
        self.sendQueueSize = max(1, sendQueueSize)
        self.receiveQueueSize = max(1, receiveQueueSize)
        self.bestEffort = bestEffort
    }

    static var closedError: MultiSocketError { MultiSocketError(.closed, "socket closed") }

    /// Whether the socket still takes pipes and operations.
    var isOpen: Bool { lifecycle == .open }

    /// A fresh id for a waiting receiver or sender.
    mutating func makeID() -> UInt64 {
        nextID += 1
        return nextID
    }

    /// The pipe under `id`, if the socket holds it.
    func pipe(_ id: UInt32) -> Pipe? {
        pipes[id]?.pipe
    }

    /// The counters, with the current pipe count.
    var snapshot: SocketStatistics {
        var snapshot = statistics
        snapshot.pipes = pipes.count
        return snapshot
    }

    /// Counts a dropped message.
    mutating func count(_ reason: DropReason) {
        statistics.drops[reason, default: 0] += 1
    }

    /// Counts something the socket observed that is not a message.
    mutating func count(_ event: CountedEvent) {
        switch event {
        case .pipeRefused: statistics.pipesRefused += 1
        case .dialFailure: statistics.dialFailures += 1
        case .reconnectScheduled: statistics.reconnectsScheduled += 1
        case .rejectedFrame: statistics.rejectedFrames += 1
        case .rejectedHandshake: statistics.rejectedHandshakes += 1
        case .handlerFailure: statistics.handlerFailures += 1
        }
    }

    /// The non-message events the counters keep.
    enum CountedEvent {
        case pipeRefused
        case dialFailure
        case reconnectScheduled
        case rejectedFrame
        case rejectedHandshake
        case handlerFailure
    }

    mutating func countSent(_ message: Message) {
        statistics.messagesSent += 1
        statistics.bytesSent += message.content.count
    }

    mutating func uncountSent(_ message: Message) {
        statistics.messagesSent -= 1
        statistics.bytesSent -= message.content.count
    }

    // MARK: The idle ring

    // The ring holds slot references: picking the next idle pipe, on every to-one send, hashes nothing.

    /// The least recently used pipe that can take a to-one message now, moved to the back of the idle ring
    /// (round robin) but not held: for a sender that writes one message to it directly.
    @inline(__always)
    mutating func nextIdlePipe() -> PipeSnapshot? {
        while let ref = idle.popFirst() {
            guard pipes.holds(ref) else {
                removedInIdle -= 1
                continue
            }
            if pipes[ref].canTake {
                idle.append(ref)
                return PipeSnapshot(pipe: pipes[ref].pipe, drains: pipes[ref].drains)
            }
            pipes[ref].inIdleRing = false
        }
        return nil
    }

    /// Takes the least recently used pipe that can take a to-one message, and holds it (for a dispatcher
    /// of the shared queue).
    @inline(__always)
    mutating func takeIdlePipe() -> Pipe? {
        while let ref = idle.popFirst() {
            guard pipes.holds(ref) else {
                removedInIdle -= 1
                continue
            }
            pipes[ref].inIdleRing = false
            if pipes[ref].canTake {
                pipes[ref].held = true
                return pipes[ref].pipe
            }
        }
        return nil
    }

    /// Puts pipe `id` in the idle ring if it can take to-one messages and is not there yet.
    mutating func offer(_ id: UInt32) {
        guard let ref = pipes.ref(id) else { return }
        offer(ref)
    }

    private mutating func offer(_ ref: PipeRef) {
        guard pipes[ref].canTake, !pipes[ref].inIdleRing else { return }
        pipes[ref].inIdleRing = true
        idle.append(ref)
    }

    /// Lets a held pipe go back to the idle ring (if it is not busy).
    mutating func release(_ id: UInt32) {
        guard let ref = pipes.ref(id) else { return }
        pipes[ref].held = false
        offer(ref)
    }

    /// Records that a write filled pipe `id`'s outbound queue, unless it drained since `drainsSeen`.
    /// Returns `true` when it did drain meanwhile: the pipe can still take messages (a holder keeps it).
    mutating func markBusy(_ id: UInt32, drainsSeen: Int) -> Bool {
        guard let ref = pipes.ref(id) else { return false }
        if pipes[ref].drains != drainsSeen { return true }
        pipes[ref].busy = true
        pipes[ref].held = false
        return false
    }

    /// A pipe to carry on with the shared queue, held, when messages are waiting there.
    mutating func carrierForShared() -> Pipe? {
        shared.isEmpty ? nil : takeIdlePipe()
    }

    /// Drops removed ids from the idle ring, keeping the others in order.
    mutating func sweepIdle() {
        var kept = Ring<PipeRef>()
        while let ref = idle.popFirst() {
            if pipes.holds(ref) { kept.append(ref) }
        }
        idle = kept
        removedInIdle = 0
    }

    // MARK: Draining

    /// Whether every message sent to one peer reached a transport: none waits in the shared queue, and none
    /// is in a dispatcher's hands between the queue and a pipe (a held pipe).
    var sharedQueueDelivered: Bool {
        shared.isEmpty && !pipes.records.contains { $0.held }
    }

    /// Whether nothing queued is left to flush. A message a dispatcher has taken from the shared queue but
    /// not yet handed to its pipe counts as queued (its pipe is held): otherwise a close checking in that
    /// window would find nothing queued and close the pipe under the batch.
    func isDrained() -> Bool {
        sharedQueueDelivered && !pipes.records.contains { $0.pipe.watchPendingOutput() }
    }

    /// The closer waiting for the queues to drain, taken when they have.
    mutating func lingerIfDrained() -> Types.Closer? {
        guard lingerWaiter != nil, isDrained() else { return nil }
        return lingerWaiter.take()
    }
}

extension SocketState {
    /// An open socket's state with the queue sizes and drop policy of `options`.
    init(options: SocketOptions) {
        self.init(sendQueueSize: options.sendQueueSize, receiveQueueSize: options.receiveQueueSize,
                  bestEffort: options.bestEffort)
    }
}
