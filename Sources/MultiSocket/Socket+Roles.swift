@_spi(Internals) import MultiSocketConnector

/// What protocol roles build on: non-blocking sends that name their pipe, and pipe observers (the socket's
/// timers are in `Socket.swift`, beside its reactor). All public but one package helper, so that a role or
/// switch middleware written outside the package can do what the built-in roles do.
extension Socket {
    /// Sends `content` to one peer only if an idle pipe takes it now, and says which pipe did.
    ///
    /// Never suspends and never queues: with every pipe busy, or messages queued ahead in the shared
    /// queue, it returns ``TrySendResult/wouldBlock``; with no pipe that can take a to-one message, it
    /// returns ``TrySendResult/noPeer`` — in both cases nothing was sent, and the caller may fall back on
    /// ``send(_:)-([UInt8])`` (which queues) or wait for ``PipeObserver/pipeAdded(_:)``. Runs on the caller's thread;
    /// safe from any task or from a ``PipeObserver`` callback. Cancellation does not apply.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`, `notSupported` (the strategy is not ``SendStrategy/toOne``),
    ///   `messageTooLarge` (content or path too large to encode; counted as ``DropReason/unencodable``).
    public func trySend(_ content: [UInt8]) throws -> TrySendResult {
        guard sendStrategy == .toOne else {
            throw MultiSocketError(.notSupported, "trySend on a \(sendStrategy) socket")
        }
        return try trySendToOne(Message(content: content, ttl: options.sendTTL))
    }

    /// Sends `content` as ``send(_:)-([UInt8])`` does when that needs no waiting: to an idle pipe, or into the shared
    /// queue. Returns `false`, having sent nothing, when it would wait for room (or is a to-all send): for
    /// protocol layers that bound the wait themselves. Runs on the caller's thread.
    /// - Throws: as ``send(_:)-([UInt8])``, except `CancellationError`.
    package func sendWithoutWaitingForRoom(_ content: [UInt8]) throws -> Bool {
        try sendWithoutWaiting(content)
    }

    /// Sends `content` along `path` (its first id picks the local pipe) only if that pipe takes it now:
    /// what a replying role does with a reply that must never wait for a requester that does not read.
    ///
    /// Never suspends and never queues: a full pipe gives ``TrySendResult/wouldBlock``; a path whose first
    /// pipe is gone (or an empty path) gives ``TrySendResult/noPeer``; nothing was sent then. Runs on the
    /// caller's thread; cancellation does not apply.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`, `notSupported` (a ``SendStrategy/none`` socket),
    ///   `messageTooLarge` (counted as ``DropReason/unencodable``).
    public func trySendTo(_ path: MessagePath, _ content: [UInt8]) throws -> TrySendResult {
        if sendStrategy == .none { throw MultiSocketError(.notSupported, "trySendTo on a receive-only socket") }
        guard let first = path.first else { return .noPeer }
        let message = Message(content: content, sendType: .toDest, ttl: options.sendTTL, destination: path)
        let pipe: MessagePipe
        switch state.withLock({ $0.pipe(named: first, for: message, counting: true) }) {
        case .pipe(let named, _): pipe = named
        case .fail(let error):
            if error.code == .brokenPath { return .noPeer }
            throw error
        }
        let result = pipe.link.send(message)
        if case .accepted = result { return .sent(pipeID: first) }
        state.withLock { $0.uncountSent(message) }
        switch result {
        case .accepted, .full: return .wouldBlock
        case .closed: return .noPeer
        case .unencodable(let error):
            drop(.unencodable)
            throw error
        }
    }

    /// Registers `observer` to hear every pipe added to or removed from this socket from now on (pipes
    /// present already are ``/MultiSocketConnector/Connector/pipes``). Adding the same observer twice does nothing.
    ///
    /// The socket holds the observer until ``removePipeObserver(_:)`` or until ``close()`` begins (an
    /// observer may hold its socket: the cycle ends at close); a closing socket calls no observer, so the
    /// pipes its close removes are not reported (what depended on them ends with `closed`). See
    /// ``PipeObserver`` for the thread and lock rules of its calls. Never blocks long; throws nothing.
    public func addPipeObserver(_ observer: any PipeObserver) {
        hooks.add(observer)
    }

    /// Stops calling `observer`; a call already under way on another thread may still finish.
    public func removePipeObserver(_ observer: any PipeObserver) {
        hooks.remove(observer)
    }

    /// Counts a request whose handler failed (``SocketStatistics/handlerFailures``) and emits
    /// ``SocketEvent/handlerFailed(path:error:)``: for roles that serve requests (``Rep``'s `serve`). Any
    /// thread; takes the socket's lock briefly; never suspends.
    package func reportHandlerFailure(path: MessagePath, error: String) {
        state.withLock { $0.count(.handlerFailure) }
        hub.emit(.handlerFailed(path: path, error: error))
    }
}
