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

    private struct State {
        var closed = false
        var directions: [Direction]
        var ends = [End(), End()]
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
        pump(from: 1 - side)
    }

    func send(from side: Int, _ message: Message) -> PipeSendResult {
        let queued = state.withLock { state -> PipeSendResult? in
            if state.closed { return .closed }
            if state.directions[side].queue.count >= state.directions[side].capacity {
                state.directions[side].notifySender = true
                return .full
            }
            state.directions[side].queue.append(message)
            return nil
        }
        if let queued { return queued }
        pump(from: side)
        return state.withLock { state -> PipeSendResult in
            let direction = state.directions[side]
            let idle = direction.queue.isEmpty && !direction.delivering
            if !idle { state.directions[side].notifySender = true }
            return .accepted(idle: idle)
        }
    }

    func hasPendingOutput(side: Int) -> Bool {
        state.withLock { !$0.closed && (!$0.directions[side].queue.isEmpty || $0.directions[side].delivering) }
    }

    func resume(receivingSide side: Int) {
        state.withLock { $0.directions[1 - side].pauses -= 1 }
        pump(from: 1 - side)
    }

    /// Hands queued messages to the receiving end until the queue is empty, the receiver pauses, or
    /// another thread is already handing over (it will carry on with what this one queued).
    private func pump(from side: Int) {
        var drained: (any PipeDelegate, UInt32)?
        while true {
            let next = state.withLock { state -> (Message, any PipeDelegate, UInt32, Int?)? in
                guard !state.closed, !state.directions[side].delivering else { return nil }
                let receiver = state.ends[1 - side]
                guard receiver.started, let delegate = receiver.delegate, state.directions[side].pauses <= 0 else {
                    return nil
                }
                guard let message = state.directions[side].queue.popFirst() else {
                    if state.directions[side].notifySender, let sender = state.ends[side].delegate {
                        state.directions[side].notifySender = false
                        drained = (sender, state.ends[side].pipeID)
                    }
                    return nil
                }
                state.directions[side].delivering = true
                return (message, delegate, receiver.pipeID, state.directions[side].maxReceiveSize)
            }
            guard let (message, delegate, pipeID, limit) = next else { break }
            var keepGoing = true
            var rejection: FrameError?
            do {
                keepGoing = delegate.pipe(pipeID, received: try message.arriving(on: pipeID, maxContentLength: limit))
            } catch {
                rejection = error
                delegate.pipe(pipeID, rejected: error)
            }
            state.withLock { state in
                state.directions[side].delivering = false
                if !keepGoing { state.directions[side].pauses += 1 }
            }
            if let rejection, rejection.closesPipe {
                close()
                return
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

    var hasPendingOutput: Bool {
        channel.hasPendingOutput(side: side)
    }

    func resumeReceiving() {
        channel.resume(receivingSide: side)
    }

    func close() {
        channel.close()
    }
}
