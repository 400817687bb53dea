@_spi(Internals) import MultiSocketConnector

/// The shared part of a ``Socket``: its state, pipes, events, timers and close. Everything the library keeps
/// for a long time — the connector's handler, every pipe's delegate, roles' receive loops and timers — points
/// here, never at the ``Socket`` handle, so the handle is owned by the application alone and its `deinit`
/// closes a socket dropped without ``Socket/close()``.
///
/// Methods run on the caller's thread (the reactor thread for pipe reports) unless they say otherwise.
package final class SocketCore: Sendable {
    /// The socket's settings (as normalised by ``Socket/init(sender:receiver:options:)``).
    package let options: SocketOptions
    /// Whether received messages are delivered.
    package let receiveStrategy: ReceiveStrategy
    /// The socket's dialers, listeners and pipes.
    package let connector: Connector
    let state: Locked<SocketState<LiveSocket>>
    let hub = EventHub()
    let hooks = PipeHooks()
    /// The listeners' verdicts on pipes this socket dials (kept only with an identity).
    let admissions = PipeAdmissions()
    /// The home reactor: timers, and the first of the pipes' round-robin.
    let reactor: Reactor

    init(receiver: ReceiveStrategy, options: SocketOptions) {
        self.options = options
        receiveStrategy = receiver
        state = Locked(SocketState(options: options), rank: .socket)
        reactor = options.reactorGroup.next()
        connector = Connector(options: options.connector, pipeQueueSize: options.sendQueueSize, reactor: reactor,
                              spProtocol: options.identity?.id)
        connector.setHandler(self)
    }

    // MARK: Timers

    /// Runs `job` once `delay` has passed, on the home reactor (``Socket/schedule(after:_:)``).
    @discardableResult
    package func schedule(after delay: Duration, _ job: @escaping @Sendable () -> Void) -> SocketTimer {
        SocketTimer(id: reactor.schedule(after: delay, job))
    }

    /// Cancels a job scheduled with ``schedule(after:_:)`` that has not run yet.
    package func cancel(_ timer: SocketTimer) {
        reactor.cancelTimer(timer.id)
    }

    /// Runs `job` on the home reactor after every job already posted there, in order: a role whose receive loop
    /// runs on ``Socket/executor`` posts work this way to have it run after the loop has taken the messages
    /// already handed to it. Any thread; not cancellable; throws nothing.
    package func afterPostedWork(_ job: @escaping @Sendable () -> Void) {
        reactor.execute(job)
    }

    // MARK: Receiving

    /// Receives the next message, as ``Socket/receive()`` does: for protocol layers whose loops must not keep
    /// the ``Socket`` handle alive (a loop holding the core ends with `closed` when the handle is dropped).
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` or `notSupported`; `CancellationError`.
    package func receive() async throws -> Message {
        if let message = try receiveWithoutWaiting() { return message }
        return try await receiveWaiting()
    }

    /// A queued message, or `nil`; never suspends.
    func receiveWithoutWaiting() throws -> Message? {
        guard receiveStrategy == .all else { throw MultiSocketError(.notSupported, "receive on a send-only socket") }
        try Task.checkCancellation()
        switch state.withLock({ $0.takeReceived() }) {
        case .message(let message, let resume):
            for pipe in resume { pipe.resumeReceiving() }
            return message
        case .empty: return nil
        case .closed: throw MultiSocketError(.closed, "socket closed")
        }
    }

    /// Waits for the next message: until one comes, or `timeout` (by default ``SocketOptions/receiveTimeout``)
    /// has passed.
    func receiveWaiting(timeout: Duration? = nil) async throws -> Message {
        guard let limit = timeout ?? options.receiveTimeout else { return try await receiveWaitingUntimed() }
        let id = state.withLock { $0.makeID() }
        var timer: SocketTimer?
        defer { if let timer { cancel(timer) } }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Message, any Error>) in
                let cancelled = Task.isCancelled
                switch state.withLock({ $0.waitForMessage(id, receiver: continuation, cancelled: cancelled) }) {
                case .message(let message, let resume):
                    for pipe in resume { pipe.resumeReceiving() }
                    continuation.resume(returning: message)
                case .suspended:
                    // Armed once the receiver waits, so that it cannot fire before there is one to end.
                    timer = schedule(after: limit) { [state] in
                        state.withLock { $0.cancelReceive(id) }?.resume(
                            throwing: MultiSocketError(.timedOut, "no message within \(limit)"))
                    }
                case .closed: continuation.resume(throwing: MultiSocketError(.closed, "socket closed"))
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            state.withLock { $0.cancelReceive(id) }?.resume(throwing: CancellationError())
        }
    }

    /// A wait for the next message with no deadline: no timer, and nothing captured for one (the common path).
    private func receiveWaitingUntimed() async throws -> Message {
        let id = state.withLock { $0.makeID() }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Message, any Error>) in
                let cancelled = Task.isCancelled
                switch state.withLock({ $0.waitForMessage(id, receiver: continuation, cancelled: cancelled) }) {
                case .message(let message, let resume):
                    for pipe in resume { pipe.resumeReceiving() }
                    continuation.resume(returning: message)
                case .suspended: break
                case .closed: continuation.resume(throwing: MultiSocketError(.closed, "socket closed"))
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            state.withLock { $0.cancelReceive(id) }?.resume(throwing: CancellationError())
        }
    }

    /// Stops taking input (``Socket/stopReceiving()``): receivers waiting on an empty queue end with `closed`,
    /// pipes are read no more, and the connector takes no new pipe.
    func stopReceiving() async {
        let waiting = state.withLock { $0.stopReceiving() }
        let stopped = MultiSocketError(.closed, "socket stopped receiving")
        for receiver in waiting { receiver.resume(throwing: stopped) }
        await connector.stopAccepting()
    }

    // MARK: Sending

    /// Writes queued to-one messages to `pipe` (which the state holds for this caller), a batch per lock on
    /// each side, while it can take more; if it turns busy or closes, another idle pipe carries on. Senders
    /// waiting for room in the shared queue are admitted as their turn comes.
    func serve(_ pipe: MessagePipe) {
        // A quarter of the queue per hand-over: measured best on inproc and tcp (16 of 64 against 32, 48
        // and 64; bench/NOTES.md).
        let serveBatch = max(1, options.sendQueueSize / 4)
        var carrier = pipe
        var batch = Ring<Message>()
        var admitted: [UnsafeContinuation<Bool, any Error>] = []
        while true {
            let step = state.withLock { $0.nextBatch(for: carrier.id, limit: serveBatch, into: &batch,
                                                     admitted: &admitted) }
            for continuation in admitted { continuation.resume(returning: true) }
            admitted.removeAll(keepingCapacity: true)
            switch step {
            case .finished(let linger):
                linger?.resume()
                return
            case .handOver(let next):
                carrier = next
            case .write(let drains):
                // The pipe takes what it has room for; what it did not take goes back.
                let outcome = carrier.link.send(batch: &batch)
                switch state.withLock({ $0.settleBatch(on: carrier.id, drains: drains, outcome, rest: &batch) }) {
                case .carryOn: break
                case .handOver(let next): carrier = next
                case .finished: return
                }
            }
        }
    }

    // MARK: Counting

    func drop(_ reason: DropReason) {
        state.withLock { $0.count(reason) }
        hub.emit(.messageDropped(reason))
    }

    // MARK: Closing

    /// Closes the socket (``Socket/close()``): idempotent; concurrent calls all return once it is closed.
    func close() async {
        switch state.withLock({ $0.beginClose() }) {
        case .alreadyClosing:
            await withUnsafeContinuation { continuation in
                switch state.withLock({ $0.waitForClose(continuation) }) {
                case .closed: continuation.resume()
                case .suspended: break
                }
            }
            return
        case .first(let receivers, let senders):
            // Observers hear nothing of the teardown: what they track ends with `closed`, not a lost pipe.
            hooks.removeAll()
            let closed = MultiSocketError(.closed, "socket closed")
            for receiver in receivers { receiver.resume(throwing: closed) }
            for sender in senders { sender.resume(throwing: closed) }
        }
        await connector.stopAccepting()
        await linger()
        await connector.close()
        connector.setHandler(nil)
        let waiters = state.withLock { $0.finishClose() }
        hub.finish()
        for waiter in waiters { waiter.resume() }
    }

    /// The ``Socket`` handle was dropped: unless it was closed, close it as ``close()`` does, in a task of its
    /// own (a `deinit` cannot wait). Dialers and listeners stop first (the port or socket file is free within
    /// moments), queued messages linger, then every pipe closes and the connector lets go of this core.
    func handleDropped() {
        guard state.withLock({ $0.isOpen }) else { return }
        Task { [self] in await close() }
    }

    /// Waits until every queued message reached a transport, or the linger time passed.
    private func linger() async {
        // No linger: give up at once. Otherwise the timer is armed before the closer is registered, so that
        // registering is the closure's last step: a drain on another reactor thread resuming the closer while
        // this closure still ran (arming the timer) made the task go on there while this thread had not yet
        // left the closure, a hand-over the thread sanitizer cannot follow through the concurrency runtime.
        if options.linger <= .zero { state.withLock { _ = $0.lingerExpired() } }
        let timer = options.linger <= .zero ? nil : schedule(after: options.linger) { [state] in
            state.withLock { $0.lingerExpired() }?.resume()
        }
        await withUnsafeContinuation { continuation in
            switch state.withLock({ $0.startLinger(continuation) }) {
            case .drained: continuation.resume()
            case .waiting: break
            }
        }
        if let timer { cancel(timer) }
    }

    /// Resumes the close that waits for queues to drain, once they have.
    func checkLinger() {
        state.withLock { $0.lingerIfDrained() }?.resume()
    }
}
