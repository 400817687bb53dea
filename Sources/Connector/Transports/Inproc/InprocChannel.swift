/// An in-process connection: two ends passing `Message` values, no encoding.
///
/// Direction `s` carries messages from end `s` to end `1 − s`. A sent message joins the direction's
/// bounded queue, and whoever hands over takes the whole queue at once and gives it to the receiving socket
/// in one batch. A sender on a reactor thread (any reactor's) leaves the hand-over to a job on that reactor
/// that runs when its own job ends, so everything it sends meanwhile goes over in one batch; a sender on
/// another thread hands over itself when nobody else is. The channel has no reactor of its own. The receive
/// rule (new source id, hops, ttl) is applied on hand-over, exactly as the frame codec applies it.
final class InprocChannel: Sendable {
    private struct Direction {
        var queue = Ring<Message>()
        /// Empty storage that replaces the queue when a deliverer takes it, so neither is regrown per batch.
        var spare = Ring<Message>()
        var capacity: Int
        /// The receiving end's largest accepted content.
        var maxReceiveSize: Int?
        /// Receiver pauses minus resumes: paused while positive.
        var pauses = 0
        /// A thread is handing a batch over; nobody else may start.
        var delivering = false
        /// A hand-over job is posted to a sender's reactor and has not run yet.
        var scheduled = false
        /// The sender wants to hear when the queue empties.
        var notifySender = false
    }

    private struct End {
        var pipeID: UInt32 = 0
        var delegate: (any PipeDelegate)?
        var onClose: (@Sendable () -> Void)?
        var started = false
    }

    /// The end a direction delivers to, as taken under the lock for one hand-over.
    private struct Receiver {
        var delegate: any PipeDelegate
        var pipeID: UInt32
        var maxReceiveSize: Int?
    }

    /// What a sender does after queuing its message.
    private enum Follow {
        case nothing
        case handOver
        case schedule
    }

    private struct State {
        var closed = false
        var directions: [Direction]
        var ends = [End(), End()]

        /// Claims the hand-over from `side` and takes everything queued into `batch`, when the receiving
        /// end can take messages now.
        mutating func takeBatch(from side: Int, into batch: inout Ring<Message>) -> Receiver? {
            guard !closed, !directions[side].delivering, directions[side].pauses <= 0,
                  !directions[side].queue.isEmpty else { return nil }
            let end = ends[1 - side]
            guard end.started, let delegate = end.delegate else { return nil }
            directions[side].delivering = true
            swap(&batch, &directions[side].spare)
            swap(&batch, &directions[side].queue)
            return Receiver(delegate: delegate, pipeID: end.pipeID, maxReceiveSize: directions[side].maxReceiveSize)
        }

        /// What a sender that just queued on `side` does: hand over itself (off every reactor thread), post
        /// one hand-over job (on it), or nothing (someone is handing over, one is posted, or the receiver
        /// cannot take messages now).
        mutating func followQueuing(from side: Int, onReactor: Bool) -> Follow {
            guard !closed, !directions[side].delivering, directions[side].pauses <= 0, ends[1 - side].started else {
                return .nothing
            }
            if !onReactor { return .handOver }
            if directions[side].scheduled { return .nothing }
            directions[side].scheduled = true
            return .schedule
        }

        /// Ends a pump: reports whether `side` is idle and, when its queue emptied with a sender waiting
        /// to hear, who to tell.
        mutating func finishPumping(from side: Int, drained: inout (any PipeDelegate, UInt32)?) -> Bool {
            let idle = directions[side].queue.isEmpty && !directions[side].delivering
            if directions[side].queue.isEmpty, directions[side].notifySender, let sender = ends[side].delegate {
                directions[side].notifySender = false
                drained = (sender, ends[side].pipeID)
            }
            return idle
        }
    }

    private let state: Locked<State>
    /// Each end's largest content sent (``EndpointOptions/maxSendSize``; `.max`: none), by side.
    private let maxSendSizes: (Int, Int)

    /// Creates a channel between ends configured by `options.0` and `options.1`: each end queues up to its
    /// send queue size towards the other, and accepts content up to its own maximum receive size.
    init(options: (PipeOptions, PipeOptions)) {
        state = Locked(State(directions: [
            Direction(capacity: max(1, options.0.sendQueueSize), maxReceiveSize: options.1.maxReceiveSize),
            Direction(capacity: max(1, options.1.sendQueueSize), maxReceiveSize: options.0.maxReceiveSize),
        ]), rank: .linkOutput)
        maxSendSizes = (options.0.maxSendSize ?? .max, options.1.maxSendSize ?? .max)
    }

    /// The error for a message from `side` over its end's send limit, or `nil` when it fits.
    @inline(__always)
    private func oversize(_ message: Message, from side: Int) -> MultiSocketError? {
        let limit = side == 0 ? maxSendSizes.0 : maxSendSizes.1
        guard message.content.count > limit else { return nil }
        return MultiSocketError(.messageTooLarge, "content of \(message.content.count) bytes exceeds maxSendSize \(limit)")
    }

    func start(side: Int, pipeID: UInt32, delegate: any PipeDelegate, onClose: @escaping @Sendable () -> Void) {
        let alreadyClosed = state.withLock { state -> Bool in
            if state.closed { return true }
            state.ends[side] = End(pipeID: pipeID, delegate: delegate, onClose: onClose, started: true)
            return false
        }
        if alreadyClosed {
            onClose()
            return
        }
        pump(from: 1 - side)
        // A drain this end's sender was owed before it started is reported now.
        pump(from: side)
    }

    func send(from side: Int, _ message: Message) -> PipeSendResult {
        if let error = oversize(message, from: side) { return .unencodable(error) }
        let reactor = Reactor.current
        let (result, follow) = state.withLock { state -> (PipeSendResult, Follow) in
            if state.closed { return (.closed, .nothing) }
            let count = state.directions[side].queue.count
            if count >= state.directions[side].capacity {
                state.directions[side].notifySender = true
                return (.full, .nothing)
            }
            state.directions[side].queue.append(message)
            let room = count + 1 < state.directions[side].capacity
            if !room { state.directions[side].notifySender = true }
            return (.accepted(idle: room), state.followQueuing(from: side, onReactor: reactor != nil))
        }
        perform(follow, from: side, on: reactor)
        return result
    }

    /// Starts the hand-over a sender's queuing called for; `reactor` is the sender's, if it runs on one.
    private func perform(_ follow: Follow, from side: Int, on reactor: Reactor?) {
        switch follow {
        case .nothing: break
        case .handOver: pump(from: side)
        case .schedule:
            guard let reactor else { preconditionFailure("a hand-over job is posted only from a reactor thread") }
            reactor.execute { [self] in
                reactor.assertInReactor()
                state.withLock { $0.directions[side].scheduled = false }
                pump(from: side)
            }
        }
    }

    func send(from side: Int, batch: inout Ring<Message>) -> PipeBatchSendResult {
        let reactor = Reactor.current
        var outcome = PipeBatchSendResult()
        let follow = state.withLock { state -> Follow in
            if state.closed {
                outcome.room = .closed
                return .nothing
            }
            let capacity = state.directions[side].capacity
            while state.directions[side].queue.count < capacity, let message = batch.popFirst() {
                if oversize(message, from: side) != nil {
                    outcome.unencodable += 1
                    continue
                }
                outcome.sent += 1
                outcome.bytes += message.content.count
                state.directions[side].queue.append(message)
            }
            if state.directions[side].queue.count >= capacity {
                state.directions[side].notifySender = true
                outcome.room = .full
            }
            return outcome.sent > 0 ? state.followQueuing(from: side, onReactor: reactor != nil) : .nothing
        }
        perform(follow, from: side, on: reactor)
        return outcome
    }

    /// Whether messages from `side` are queued or being handed over; if so, `side` hears when they are not.
    func watchPendingOutput(side: Int) -> Bool {
        state.withLock { state in
            guard !state.closed, !state.directions[side].queue.isEmpty || state.directions[side].delivering else {
                return false
            }
            state.directions[side].notifySender = true
            return true
        }
    }

    func resume(receivingSide side: Int) {
        state.withLock { $0.directions[1 - side].pauses -= 1 }
        pump(from: 1 - side)
    }

    /// Hands queued messages from `side` to the receiving end, a whole queue per batch, until the queue is
    /// empty, the receiver pauses, or another thread is already handing over (it carries on with what
    /// this one queued). Tells the sending end when its queue emptied, if it asked.
    private func pump(from side: Int) {
        var drained: (any PipeDelegate, UInt32)?
        var batch = Ring<Message>()
        while true {
            let receiver = state.withLock { state -> Receiver? in
                if let receiver = state.takeBatch(from: side, into: &batch) { return receiver }
                _ = state.finishPumping(from: side, drained: &drained)
                return nil
            }
            guard let receiver else { break }
            // The receive rule, applied in place: each message leaves the front and arrives at the back.
            var expired = 0
            var fatal: FrameError?
            let count = batch.count
            for index in 0..<count {
                guard let message = batch.popFirst() else { break }
                do {
                    batch.append(try message.arriving(on: receiver.pipeID, maxContentLength: receiver.maxReceiveSize))
                } catch {
                    guard error.closesPipe else {
                        expired += 1
                        continue
                    }
                    // The pipe closes: what arrived before goes over; the rest is dropped with it.
                    fatal = error
                    for _ in (index + 1)..<count { _ = batch.popFirst() }
                    break
                }
            }
            let keepGoing = batch.isEmpty || receiver.delegate.pipe(receiver.pipeID, received: &batch)
            for _ in 0..<expired { receiver.delegate.pipe(receiver.pipeID, rejected: .ttlExpired) }
            if let fatal {
                receiver.delegate.pipe(receiver.pipeID, rejected: fatal)
                close()
                return
            }
            state.withLock { state in
                state.directions[side].delivering = false
                if !keepGoing { state.directions[side].pauses += 1 }
                swap(&batch, &state.directions[side].spare)
            }
        }
        if let (delegate, pipeID) = drained { delegate.pipeDrained(pipeID) }
    }

    func close() {
        let callbacks = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.closed else { return [] }
            state.closed = true
            let callbacks = state.ends.compactMap(\.onClose)
            state.ends = [End(), End()]
            _ = state.directions[0].queue.removeAll()
            _ = state.directions[1].queue.removeAll()
            return callbacks
        }
        for callback in callbacks { callback() }
    }
}
