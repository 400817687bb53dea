@_spi(Internals) import MultiSocketConnector
/// How a socket hears from its connector and pipes. These run on the reactor thread or a sending task,
/// never under a pipe lock.
extension Socket: ConnectorHandler {
    package func connectorShouldAdd(_ pipe: MessagePipe) -> String? {
        if state.withLock({ $0.lifecycle != .open }) { return "socket closing" }
        return options.pipeVeto?(pipe)
    }

    package func connectorAdded(_ pipe: MessagePipe) {
        if let identity = options.identity, !pipe.isRaw { _ = pipe.link.send(identity.hello) }
        let serveNow = state.withLock { state -> SocketState.PipeEntry? in
            let entry = SocketState.PipeEntry(pipe: pipe)
            state.pipes[pipe.id] = entry
            state.statistics.pipesAdded += 1
            // Raw pipes never take to-one messages (`canTake` is false for them).
            if state.shared.isEmpty || !entry.canTake {
                state.offer(entry)
                return nil
            }
            entry.held = true
            return entry
        }
        hub.emit(.pipeAdded(pipe))
        if let serveNow { serve(serveNow) }
    }

    package func connectorRefused(_ pipe: MessagePipe, reason: String) {
        state.withLock { $0.statistics.pipesRefused += 1 }
        hub.emit(.pipeRefused(pipe, reason: reason))
    }

    package func connectorRemoved(_ pipe: MessagePipe) {
        let waiters = state.withLock { state -> [SocketState.PendingSend] in
            guard let entry = state.remove(pipe.id) else { return [] }
            return state.takeWaiters(of: entry)
        }
        let broken = MultiSocketError(.brokenPath, "pipe \(pipe.id) closed")
        for waiter in waiters { waiter.continuation.resume(throwing: broken) }
        hub.emit(.pipeRemoved(pipe))
        checkLinger()
    }

    package func connectorDialFailed(_ address: String, error: MultiSocketError) {
        state.withLock { $0.statistics.dialFailures += 1 }
        hub.emit(.dialFailed(address: address, error: error))
    }

    package func connectorReconnectScheduled(_ address: String, after delay: Duration) {
        state.withLock { $0.statistics.reconnectsScheduled += 1 }
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
        let (receiver, keepGoing) = state.withLock { state in
            state.statistics.messagesReceived += 1
            state.statistics.bytesReceived += message.content.count
            return state.deliver(message, from: pipeID, capacity: options.receiveQueueSize)
        }
        receiver?.resume(returning: message)
        return keepGoing
    }

    package func pipe(_ pipeID: UInt32, received messages: inout Ring<Message>) -> Bool {
        if receiveStrategy == .none || messages.contains(where: { $0.flags.contains(.internal) }) {
            var keepGoing = true
            while let message = messages.popFirst() {
                if !pipe(pipeID, received: message) { keepGoing = false }
            }
            return keepGoing
        }
        var handed: [(UnsafeContinuation<Message, any Error>, Message)] = []
        let keepGoing = state.withLock { state in
            state.deliver(&messages, from: pipeID, capacity: options.receiveQueueSize, handed: &handed)
        }
        for (receiver, message) in handed { receiver.resume(returning: message) }
        return keepGoing
    }

    /// Checks a peer's hello against this socket's identity; other internal messages are dropped.
    private func receivedInternal(_ message: Message, from pipeID: UInt32) {
        guard let identity = options.identity, let verdict = identity.check(message) else {
            drop(.internalMessage)
            return
        }
        guard let reason = verdict, let pipe = state.withLock({ $0.pipes[pipeID]?.pipe }) else { return }
        state.withLock { $0.statistics.pipesRefused += 1 }
        hub.emit(.pipeRefused(pipe, reason: reason))
        pipe.close()
    }

    package func pipe(_ pipeID: UInt32, rejected reason: FrameError) {
        if reason == .ttlExpired {
            drop(.ttlExpired)
            return
        }
        state.withLock { $0.statistics.rejectedFrames += 1 }
        hub.emit(.frameRejected(pipeID: pipeID, reason: reason))
    }

    package func pipeStoppedSending(_ pipeID: UInt32) {
        let waiters = state.withLock { state -> [SocketState.PendingSend] in
            guard let entry = state.pipes[pipeID] else { return [] }
            entry.stoppedSending = true
            return state.takeWaiters(of: entry)
        }
        let broken = MultiSocketError(.brokenPath, "pipe \(pipeID) can no longer send")
        for waiter in waiters { waiter.continuation.resume(throwing: broken) }
        checkLinger()
    }

    package func pipeDrained(_ pipeID: UInt32) {
        let (found, pending, serveIt, seen) = state.withLock { state -> (SocketState.PipeEntry?, [(UInt64, SocketState.PendingSend)], Bool, Int) in
            guard let entry = state.pipes[pipeID] else { return (nil, [], false, 0) }
            entry.drains += 1
            entry.busy = false
            let waiters = entry.waiters.removeAll().compactMap { id in
                state.pendingSends.removeValue(forKey: id).map { (id, $0) }
            }
            var serveIt = false
            if entry.canTake {
                if state.shared.isEmpty { state.offer(entry) } else { entry.held = true; serveIt = true }
            }
            return (entry, waiters, serveIt, entry.drains)
        }
        guard let entry = found else { return }
        let pipe = entry.pipe
        var waiters = pending
        var drains = seen
        // Senders waiting for this pipe go first, in order, until it fills again.
        while !waiters.isEmpty {
            let (_, pending) = waiters[0]
            switch pipe.link.send(pending.message) {
            case .accepted:
                state.withLock { $0.countSent(pending.message) }
                pending.continuation.resume(returning: true)
                waiters.removeFirst()
            case .full:
                let retry = state.withLock { state -> Bool? in
                    guard let entry = state.pipes[pipeID] else { return nil }
                    if entry.drains != drains {
                        drains = entry.drains
                        return true
                    }
                    for (id, waiting) in waiters.reversed() {
                        entry.waiters.prepend(id)
                        state.pendingSends[id] = waiting
                    }
                    return false
                }
                switch retry {
                case true: continue
                case false: waiters = []
                case nil:
                    let broken = MultiSocketError(.brokenPath, "pipe \(pipeID) closed")
                    for (_, waiting) in waiters { waiting.continuation.resume(throwing: broken) }
                    waiters = []
                }
            case .closed:
                pending.continuation.resume(throwing: MultiSocketError(.brokenPath, "pipe \(pipeID) closed"))
                waiters.removeFirst()
            case .unencodable(let error):
                pending.continuation.resume(throwing: error)
                waiters.removeFirst()
            }
        }
        if serveIt { serve(entry) }
        checkLinger()
    }
}
