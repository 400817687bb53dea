/// An in-process connection: two ends passing `Message` values, no encoding.
///
/// Direction `s` carries messages from end `s` to end `1 − s`. A message is handed straight to the
/// receiving socket when it has room; otherwise it waits in the direction's bounded queue until the
/// receiver resumes the pipe. The receive rule (new source id, hops, ttl) is applied on hand-over,
/// exactly as the frame codec applies it.
final class InprocChannel: Sendable {
    private struct Direction {
        var queue = Ring<Message>()
        var capacity: Int
        /// The receiving end's largest accepted content.
        var maxReceiveSize: Int?
        /// Receiver pauses minus resumes: paused while positive.
        var pauses = 0
        var delivering = false
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

    private struct State {
        var closed = false
        var directions: [Direction]
        var ends = [End(), End()]

        /// Claims the hand-over from `side` when the receiving end can take a message now.
        mutating func takeDelivery(from side: Int) -> Receiver? {
            guard !closed, !directions[side].delivering, directions[side].pauses <= 0 else { return nil }
            let end = ends[1 - side]
            guard end.started, let delegate = end.delegate else { return nil }
            directions[side].delivering = true
            return Receiver(delegate: delegate, pipeID: end.pipeID, maxReceiveSize: directions[side].maxReceiveSize)
        }

        /// Takes the next queued message from `side` when the receiving end can take it now.
        mutating func nextDelivery(from side: Int) -> (Message, Receiver)? {
            guard !directions[side].queue.isEmpty, let receiver = takeDelivery(from: side) else { return nil }
            return (directions[side].queue.popFirst()!, receiver)
        }

        /// Ends a pump: reports whether `side` is idle and, when its queue emptied with a sender waiting
        /// for room, who to tell. A sender (`forSender`) that leaves work behind asks to be told.
        mutating func finishPumping(from side: Int, forSender: Bool, drained: inout (any PipeDelegate, UInt32)?) -> Bool {
            let idle = directions[side].queue.isEmpty && !directions[side].delivering
            if directions[side].queue.isEmpty, directions[side].notifySender, let sender = ends[side].delegate {
                directions[side].notifySender = false
                drained = (sender, ends[side].pipeID)
            }
            if !idle && forSender { directions[side].notifySender = true }
            return idle
        }
    }

    private let state: Locked<State>

    /// Creates a channel between ends configured by `options.0` and `options.1`: each end queues up to its
    /// send queue size towards the other, and accepts content up to its own maximum receive size.
    init(options: (PipeOptions, PipeOptions)) {
        state = Locked(State(directions: [
            Direction(capacity: max(1, options.0.sendQueueSize), maxReceiveSize: options.1.maxReceiveSize),
            Direction(capacity: max(1, options.1.sendQueueSize), maxReceiveSize: options.0.maxReceiveSize),
        ]))
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
        _ = pump(from: 1 - side, first: nil, forSender: false)
        // A drain this end's sender was owed before it started is reported now.
        _ = pump(from: side, first: nil, forSender: false)
    }

    func send(from side: Int, _ message: Message) -> PipeSendResult {
        enum Start {
            case closed, full, queued
            case deliver(Receiver)
        }
        let start = state.withLock { state -> Start in
            if state.closed { return .closed }
            if state.directions[side].queue.count >= state.directions[side].capacity {
                state.directions[side].notifySender = true
                return .full
            }
            // Nothing ahead of it and nobody handing over: deliver straight from this thread.
            if state.directions[side].queue.isEmpty, let receiver = state.takeDelivery(from: side) {
                return .deliver(receiver)
            }
            state.directions[side].queue.append(message)
            return .queued
        }
        switch start {
        case .closed: return .closed
        case .full: return .full
        case .queued: return .accepted(idle: pump(from: side, first: nil))
        case .deliver(let receiver): return .accepted(idle: pump(from: side, first: (message, receiver)))
        }
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
        _ = pump(from: 1 - side, first: nil, forSender: false)
    }

    /// Hands queued messages to the receiving end until the queue is empty, the receiver pauses, or
    /// another thread is already handing over (it will carry on with what this one queued). `first`, when
    /// given, was taken for delivery by the caller (`delivering` is set). One lock per message: the end of
    /// one hand-over and the start of the next are decided together. Returns whether the direction is idle
    /// (nothing queued or being handed over) at the end.
    private func pump(from side: Int, first: (Message, Receiver)?, forSender: Bool = true) -> Bool {
        var drained: (any PipeDelegate, UInt32)?
        var next = first
        var idle = false
        if next == nil {
            next = state.withLock { state in
                if let next = state.nextDelivery(from: side) { return next }
                idle = state.finishPumping(from: side, forSender: forSender, drained: &drained)
                return nil
            }
        }
        while let (message, receiver) = next {
            var keepGoing = true
            var rejection: FrameError?
            do {
                let arrived = try message.arriving(on: receiver.pipeID, maxContentLength: receiver.maxReceiveSize)
                keepGoing = receiver.delegate.pipe(receiver.pipeID, received: arrived)
            } catch {
                rejection = error
                receiver.delegate.pipe(receiver.pipeID, rejected: error)
            }
            if let rejection, rejection.closesPipe {
                close()
                return false
            }
            next = state.withLock { state in
                state.directions[side].delivering = false
                if !keepGoing { state.directions[side].pauses += 1 }
                if let next = state.nextDelivery(from: side) { return next }
                idle = state.finishPumping(from: side, forSender: forSender, drained: &drained)
                return nil
            }
        }
        if let (delegate, pipeID) = drained { delegate.pipeDrained(pipeID) }
        return idle
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

/// One end of an ``InprocChannel``.
final class InprocLink: PipeLink {
    let localAddress: String
    let remoteAddress: String
    private let channel: InprocChannel
    private let side: Int

    init(channel: InprocChannel, side: Int, localAddress: String, remoteAddress: String) {
        self.channel = channel
        self.side = side
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    func start(pipeID: UInt32, delegate: any PipeDelegate, onClose: @escaping @Sendable () -> Void) {
        channel.start(side: side, pipeID: pipeID, delegate: delegate, onClose: onClose)
    }

    func send(_ message: Message) -> PipeSendResult {
        channel.send(from: side, message)
    }

    var isRaw: Bool { false }

    func watchPendingOutput() -> Bool {
        channel.watchPendingOutput(side: side)
    }

    func resumeReceiving() {
        channel.resume(receivingSide: side)
    }

    func close() {
        channel.close()
    }
}
