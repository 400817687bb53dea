@_spi(Internals) import MultiSocketConnector

/// Calling the peer: single calls, streams and notifications, and the sending they share.
extension Talk {
    /// Calls `operation` with `payload` on one peer (or the peer at ``TalkCallOptions/to``) and returns its
    /// result.
    ///
    /// Each outcome is distinct: the result; ``TalkError/Code/unknownOperation``;
    /// ``TalkError/Code/handlerFailed`` with the handler's error text, as soon as it threw;
    /// ``TalkError/Code/retry`` (retried automatically up to ``TalkCallOptions/retries`` times, after the
    /// wait the peer asked for). A call whose pipe is removed fails at once with ``TalkError/Code/peerLost``.
    ///
    /// Runs on the caller's task. Cancellation abandons the call, tells the peer (whose handler task is
    /// cancelled) and throws `CancellationError`. A call sent to no particular peer while no pipe was free
    /// waits in the socket's queue; with several pipes, the one that takes it is not known, so its cancellation
    /// is not sent and the loss of its peer is noticed by its timeout.
    /// - Throws: ``TalkError`` (`unknownOperation`, `handlerFailed`, `retry`, `peerLost`, `timedOut`,
    ///   `versionMismatch`, `badPayload`, `closed`); ``/MultiSocketConnector/MultiSocketError`` from sending (`brokenPath` for a
    ///   path whose pipe is gone, `closed`, `messageTooLarge`); `CancellationError`.
    public func call(_ operation: String, _ payload: [UInt8],
                     options: TalkCallOptions = .init()) async throws -> [UInt8] {
        var retries = max(0, options.retries)
        while true {
            do {
                return try await callOnce(operation, payload, options)
            } catch let error as TalkError where error.code == .retry && retries > 0 {
                retries -= 1
                try await Task.sleep(for: error.retryAfter ?? configuration.retryAfter)
            }
        }
    }

    /// Calls `operation` with a `Codable` value and decodes its result, with ``TalkConfiguration/coder``.
    /// - Throws: as ``call(_:_:options:)``; ``TalkError`` `badPayload` when a value does not code.
    public func call<Input: Encodable, Output: Decodable>(
        _ operation: String, _ value: Input, as type: Output.Type = Output.self, options: TalkCallOptions = .init()
    ) async throws -> Output {
        let reply = try await call(operation, TalkCoding.encode(value, with: configuration.coder), options: options)
        return try TalkCoding.decode(type, reply, with: configuration.coder)
    }

    private func callOnce(_ operation: String, _ payload: [UInt8], _ options: TalkCallOptions) async throws -> [UInt8] {
        try Task.checkCancellation()
        let timeout = options.timeout ?? configuration.readTimeout
        let deadline = ContinuousClock.now + timeout
        let (id, rearm) = try state.withLock { state throws(TalkError) in
            try state.registerCall(operation, deadline: deadline)
        }
        if rearm { armCallTimer(for: deadline) }
        let bytes: [UInt8]
        do {
            bytes = try TalkFrame(.request, id: id, name: operation, payload: payload).encoded()
        } catch {
            _ = state.withLock { $0.abandon(id) }
            throw error
        }
        do {
            let pipeID = try await send(bytes, to: options.to)
            if !state.withLock({ $0.sent(id, on: pipeID) }) {
                complete(id, .failure(TalkError(.peerLost, "the pipe that took \(operation) was removed")))
            }
        } catch {
            _ = state.withLock { $0.abandon(id) }
            throw error
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: TalkState.Waiter) in
                switch state.withLock({ $0.wait(id, continuation) }) {
                case .suspended: break
                case .outcome(let outcome): continuation.resume(with: outcome)
                }
            }
        } onCancel: {
            guard let (waiter, pipeID) = state.withLock({ $0.abandon(id) }) else { return }
            waiter?.resume(throwing: CancellationError())
            if let path = options.to ?? pipeID.map({ MessagePath([$0]) }) {
                sendNow(TalkFrame(.cancel, id: id), to: path)
            }
        }
    }

    /// Ends call `id` with `outcome` (a reply, a failure frame, a timeout, a lost pipe).
    @discardableResult
    func complete(_ id: UInt32, _ outcome: Result<[UInt8], TalkError>) -> Bool {
        let (known, waiter) = state.withLock { $0.complete(id, outcome) }
        waiter?.resume(with: outcome)
        return known
    }

    /// Arms the one call timer for `deadline` (the earliest now), replacing the one armed for a later one.
    private func armCallTimer(for deadline: ContinuousClock.Instant) {
        let timer = socket.schedule(after: max(.zero, deadline - .now)) { [self] in expireCalls() }
        if let stale = state.withLock({ $0.setCallTimer(timer, for: deadline) }) { socket.cancel(stale) }
    }

    /// The call timer fired: fails the calls past their deadline with `timedOut` and arms for the next.
    private func expireCalls() {
        let (expired, next) = state.withLock { $0.expireCalls(at: .now) }
        for (waiter, error) in expired { waiter.resume(throwing: error) }
        if let next { armCallTimer(for: next) }
    }

    /// Opens a stream of `operation` on one peer (or the peer at ``TalkCallOptions/to``), with `payload` as
    /// its argument, and returns the caller's end: write parts with ``TalkStream/send(_:)`` and end them with
    /// ``TalkStream/finish()``, read the handler's parts with ``TalkStream/next()``. With `sendsParts` off the
    /// call has a streaming result only (no request parts; the handler sees its input ended).
    ///
    /// Returns once the open frame is sent; the handler's refusal (unknown operation, retry at a limit) is
    /// thrown by the stream's next ``TalkStream/next()`` or ``TalkStream/send(_:)``. Cancellation while
    /// sending the open frame throws `CancellationError`.
    /// - Throws: ``TalkError`` `closed`, `badPayload`; ``/MultiSocketConnector/MultiSocketError`` from sending; `CancellationError`.
    public func stream(_ operation: String, _ payload: [UInt8] = [], sendsParts: Bool = true,
                       options: TalkCallOptions = .init()) async throws -> TalkStream {
        try Task.checkCancellation()
        let timeout = options.timeout ?? configuration.readTimeout
        let stream = try state.withLock { state throws(TalkError) in
            let id = try state.makeID()
            let stream = TalkStream(talk: self, id: id, isCaller: true, path: options.to, peerWindow: 0,
                                    timeout: timeout)
            state.outbound[id] = .stream(stream, pipeID: options.to?.first)
            return stream
        }
        if !sendsParts { stream.state.withLock { $0.outputEnded = true } }
        let frame = TalkFrame(.streamOpen, id: stream.id, flags: sendsParts ? [] : .requestComplete,
                              name: operation, number: UInt32(window), payload: payload)
        do {
            let pipeID = try await send(try frame.encoded(), to: options.to)
            if !state.withLock({ $0.sent(stream.id, on: pipeID) }) {
                stream.fail(TalkError(.peerLost, "the pipe that took stream \(operation) was removed"))
            }
        } catch {
            forget(stream)
            stream.fail(error)
            throw error
        }
        return stream
    }

    /// Sends the notification `name` with `payload` to one peer, or along `path`. Never answered.
    ///
    /// Waits for room when the pipe is full; cancellation then sends nothing.
    /// - Throws: ``TalkError`` `badPayload` (name too long); ``/MultiSocketConnector/MultiSocketError`` from sending;
    ///   `CancellationError`.
    public func notify(_ name: String, _ payload: [UInt8], to path: MessagePath? = nil) async throws {
        _ = try await send(try TalkFrame(.notification, name: name, payload: payload).encoded(), to: path)
    }

    /// Sends the notification `name` with a `Codable` value (see ``notify(_:_:to:)``).
    /// - Throws: as ``notify(_:_:to:)``.
    public func notify<Value: Encodable>(_ name: String, value: Value, to path: MessagePath? = nil) async throws {
        try await notify(name, TalkCoding.encode(value, with: configuration.coder), to: path)
    }

    /// Sends the notification `name` to every directly connected peer.
    /// - Throws: as ``notify(_:_:to:)``.
    public func notifyAll(_ name: String, _ payload: [UInt8]) async throws {
        try await socket.sendAll(try TalkFrame(.notification, name: name, payload: payload).encoded())
    }

    // MARK: Sending

    /// Sends `bytes` along `path`, or to one peer; returns the pipe that took it when known: the pipe a
    /// direct send names, or, for a message that went through the socket's queue, the only pipe there was
    /// (with none, the first pipe added, if it is the only one: see ``TalkState/added(_:at:)``; with several,
    /// any may take it, and a lost peer is noticed by the call's timeout only).
    func send(_ bytes: [UInt8], to path: MessagePath?) async throws -> UInt32? {
        if let path {
            try await socket.sendTo(path, bytes)
            return path.first
        }
        if case .sent(let pipeID) = try socket.trySend(bytes) { return pipeID }
        try await socket.send(bytes)
        return state.withLock { $0.onlyPipe }
    }

    /// Sends `frame` along `path`, waiting for room.
    func send(_ frame: TalkFrame, to path: MessagePath) async throws {
        try await socket.sendTo(path, try frame.encoded())
    }

    /// Sends a control frame along `path` without waiting: a full or gone pipe drops it (counted).
    func sendNow(_ frame: TalkFrame, to path: MessagePath) {
        guard let bytes = try? frame.encoded() else { return }
        switch try? socket.trySendTo(path, bytes) {
        case .sent: break
        case .wouldBlock: state.withLock { $0.statistics.droppedControlFrames += 1 }
        case .noPeer, nil: break
        }
    }

    /// Sends a frame that must not be lost (stream credit) from a context that cannot wait (the receive
    /// loop): at once when the pipe has room, else from a task that waits for room. Credits add up, so
    /// one overtaking another does no harm. Never suspends; a gone pipe or closed socket drops it (the
    /// stream fails through ``pipeRemoved(_:)`` or ``run()``'s end then).
    func sendWithoutLoss(_ frame: TalkFrame, to path: MessagePath) {
        guard let bytes = try? frame.encoded() else { return }
        switch try? socket.trySendTo(path, bytes) {
        case .sent, .noPeer, nil: break
        case .wouldBlock:
            state.withLock { $0.statistics.delayedControlFrames += 1 }
            Task { [socket] in try? await socket.sendTo(path, bytes) }
        }
    }

    /// Forgets a caller's stream that ended (cancelled, timed out, failed to open).
    func forget(_ stream: TalkStream) {
        guard stream.isCaller else { return }
        state.withLock { state in
            if case .stream(let known, _) = state.outbound[stream.id], known === stream {
                state.outbound[stream.id] = nil
            }
        }
    }

    /// Remembers that the caller's stream `id` was cancelled before its path was known.
    func cancelWhenAnswered(_ id: UInt32) {
        state.withLock { state in
            if state.pendingCancels.count >= TalkState.maxPendingCancels { state.pendingCancels.removeAll() }
            state.pendingCancels.insert(id)
        }
    }

    /// A handler's frame for a call or stream no longer known: counted late, and answered with the cancel
    /// of a stream cancelled before its path was known.
    func late(_ id: UInt32, from source: MessagePath) {
        let cancel = state.withLock { state in
            state.statistics.lateFrames += 1
            return state.pendingCancels.remove(id) != nil
        }
        if cancel { sendNow(TalkFrame(.cancel, id: id), to: source) }
    }

    /// Counts a stream ended for a protocol violation.
    func countViolation() {
        state.withLock { $0.statistics.protocolViolations += 1 }
    }
}
