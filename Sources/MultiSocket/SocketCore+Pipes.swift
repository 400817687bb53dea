@_spi(Internals) import MultiSocketConnector
/// How a socket hears from its connector and pipes. These run on the reactor thread or a sending task,
/// never under a pipe lock. The connector and the links hold the core, never the ``Socket`` handle, so that
/// a dropped handle can close them.
extension SocketCore: ConnectorHandler {
    package func connectorShouldAdd(_ pipe: MessagePipe) -> String? {
        if !state.withLock({ $0.isOpen }) { return "socket closing" }
        return options.pipeVeto?(pipe)
    }

    package func connectorAdded(_ pipe: MessagePipe) {
        if let identity = options.identity, !pipe.isRaw {
            if pipe.isDialed { admissions.watch(pipe.id) }
            _ = pipe.link.send(identity.hello)
        }
        let action = state.withLock { $0.add(pipe) }
        hooks.added(pipe)
        hub.emit(.pipeAdded(pipe))
        if case .serve(let carrier) = action { serve(carrier) }
    }

    package func connectorRefused(_ pipe: MessagePipe, reason: String) {
        state.withLock { $0.count(.pipeRefused) }
        hub.emit(.pipeRefused(pipe, reason: reason))
    }

    package func connectorRemoved(_ pipe: MessagePipe) {
        admissions.forget(pipe.id)
        guard let loss = state.withLock({ $0.remove(pipe.id) }) else { return }
        let broken = MultiSocketError(.brokenPath, "pipe \(pipe.id) closed")
        for sender in loss.senders { sender.resume(throwing: broken) }
        hooks.removed(pipe)
        hub.emit(.pipeRemoved(pipe))
        loss.linger?.resume()
    }

    package func connectorDialFailed(_ address: String, error: MultiSocketError) {
        state.withLock { $0.count(.dialFailure) }
        hub.emit(.dialFailed(address: address, error: error))
    }

    package func connectorRejectedHandshake(_ address: String, peer: String?, error: MultiSocketError) {
        state.withLock { $0.count(.rejectedHandshake) }
        hub.emit(.handshakeRejected(address: address, peer: peer, error: error))
    }

    package func connectorReconnectScheduled(_ address: String, after delay: Duration) {
        state.withLock { $0.count(.reconnectScheduled) }
        hub.emit(.reconnectScheduled(address: address, after: delay))
    }

    package func pipe(_ pipeID: UInt32, received message: Message) -> Bool {
        if message.flags.contains(.internal) {
            receivedInternal(message, from: pipeID)
            return true
        }
        if receiveStrategy == .none {
            drop(.receiveDisabled)
            return true
        }
        switch state.withLock({ $0.deliver(message, from: pipeID) }) {
        case .handTo(let receiver):
            receiver.resume(returning: message)
            return true
        case .queued: return true
        case .pause: return false
        case .stopped:
            hub.emit(.messageDropped(.receivingStopped))
            return false
        }
    }

    package func pipe(_ pipeID: UInt32, received messages: inout Ring<Message>) -> Bool {
        if receiveStrategy == .none || messages.contains(where: { $0.flags.contains(.internal) }) {
            var keepGoing = true
            while let message = messages.popFirst() {
                if !pipe(pipeID, received: message) { keepGoing = false }
            }
            return keepGoing
        }
        var handoffs: [SocketState<LiveSocket>.Handoff] = []
        let offered = messages.count
        let readOn = state.withLock { $0.deliver(&messages, from: pipeID, handoffs: &handoffs) }
        for handoff in handoffs { handoff.receiver.resume(returning: handoff.message) }
        switch readOn {
        case .keepReading: return true
        case .pause: return false
        case .stopped:
            for _ in 0..<offered { hub.emit(.messageDropped(.receivingStopped)) }
            return false
        }
    }

    /// Checks a peer's hello against this socket's identity and hears a listener's refusal; other internal
    /// messages are dropped.
    private func receivedInternal(_ message: Message, from pipeID: UInt32) {
        if let reason = PeerRefusal.reason(in: message) {
            refused(pipeID, reason: reason)
            return
        }
        guard let identity = options.identity, let verdict = identity.check(message) else {
            drop(.internalMessage)
            return
        }
        guard let reason = verdict else {
            admissions.resolve(pipeID, address: "", .admitted)
            return
        }
        guard let pipe = state.withLock({ $0.pipe(pipeID) }) else { return }
        state.withLock { $0.count(.pipeRefused) }
        hub.emit(.pipeRefused(pipe, reason: reason))
        admissions.resolve(pipeID, address: pipe.address,
                           .refused(MultiSocketError(.protocolMismatch, "\(pipe.address): \(reason)")))
        pipe.close()
    }

    /// The peer's pipe veto refused pipe `pipeID` for `reason`, and the pipe is closed. For a dialed pipe that
    /// is a failed dial (counted, reported as ``SocketEvent/dialFailed(address:error:)`` with `refusedByPeer`);
    /// for an accepted one (the dialer's own veto refused it) a refused pipe.
    private func refused(_ pipeID: UInt32, reason: String) {
        guard let pipe = state.withLock({ $0.pipe(pipeID) }) else { return }
        guard pipe.isDialed else {
            state.withLock { $0.count(.pipeRefused) }
            hub.emit(.pipeRefused(pipe, reason: "the peer refused the connection: \(reason)"))
            pipe.close()
            return
        }
        let error = MultiSocketError(.refusedByPeer, "\(pipe.address) refused the connection: \(reason)")
        state.withLock { $0.count(.dialFailure) }
        hub.emit(.dialFailed(address: pipe.address, error: error))
        admissions.resolve(pipeID, address: pipe.address, .refused(error))
        pipe.close()
    }

    package func pipe(_ pipeID: UInt32, rejected reason: FrameError) {
        if reason == .ttlExpired {
            drop(.ttlExpired)
            return
        }
        state.withLock { $0.count(.rejectedFrame) }
        hub.emit(.frameRejected(pipeID: pipeID, reason: reason))
    }

    package func pipeStoppedSending(_ pipeID: UInt32) {
        let loss = state.withLock { $0.stopSending(pipeID) }
        let broken = MultiSocketError(.brokenPath, "pipe \(pipeID) can no longer send")
        for sender in loss.senders { sender.resume(throwing: broken) }
        loss.linger?.resume()
    }

    package func pipeDrained(_ pipeID: UInt32) {
        guard case .drained(let pipe, let waiters, var drains, let serveIt) = state.withLock({ $0.drained(pipeID) })
        else { return }
        // Senders waiting for this pipe go first, in order, until it fills again.
        var next = waiters.startIndex
        while next < waiters.endIndex {
            let pending = waiters[next]
            switch pipe.link.send(pending.message) {
            case .accepted:
                state.withLock { $0.countSent(pending.message) }
                pending.sender.resume(returning: true)
                next += 1
            case .full:
                switch state.withLock({ $0.requeue(waiters[next...], on: pipeID, drainsSeen: drains) }) {
                case .retry(let seen): drains = seen
                case .requeued: next = waiters.endIndex
                case .gone:
                    let broken = MultiSocketError(.brokenPath, "pipe \(pipeID) closed")
                    for waiting in waiters[next...] { waiting.sender.resume(throwing: broken) }
                    next = waiters.endIndex
                }
            case .closed:
                pending.sender.resume(throwing: MultiSocketError(.brokenPath, "pipe \(pipeID) closed"))
                next += 1
            case .unencodable(let error):
                pending.sender.resume(throwing: error)
                next += 1
            }
        }
        if serveIt { serve(pipe) }
        checkLinger()
    }
}
