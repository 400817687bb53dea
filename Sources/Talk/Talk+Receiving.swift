@_spi(Internals) import MultiSocketConnector

/// The receive loop's dispatch: every frame to its call, stream, handler or hook.
extension Talk {
    /// Dispatches one received message, on the receive loop. Never suspends.
    func dispatch(_ message: Message) {
        let source = message.source
        guard let frame = TalkFrame.decode(message.content) else {
            state.withLock { $0.statistics.malformedFrames += 1 }
            return
        }
        if let pipeID = source.first, source.count == 1 {
            state.withLock { $0.heard(pipeID) }
        }
        guard frame.version == TalkFrame.currentVersion else {
            refuseVersion(frame, from: source)
            return
        }
        let fromHandler = frame.flags.contains(.fromHandler)
        switch frame.kind {
        case .hello, .heartbeat: heartbeat(frame, from: source)
        case .request: handleRequest(frame, from: source)
        case .streamOpen: openStream(frame, from: source)
        case .notification: notification(frame, from: source)
        case .result: answer(frame.id, .success(frame.payload), from: source)
        case .failure:
            let text = String(decoding: frame.payload, as: UTF8.self)
            if fromHandler {
                answer(frame.id, .failure(TalkError(.handlerFailed, text)), from: source)
            } else {
                inboundStream(frame.id, from: source)?.fail(TalkError(.cancelled, text))
            }
        case .unknownOperation:
            answer(frame.id, .failure(TalkError(.unknownOperation,
                                                "no handler for '\(String(decoding: frame.payload, as: UTF8.self))'")),
                   from: source)
        case .retry:
            answer(frame.id, .failure(.retry(after: .milliseconds(Int(frame.number)),
                                             String(decoding: frame.payload, as: UTF8.self))), from: source)
        case .versionMismatch: mismatch(frame, from: source)
        case .part:
            let stream = fromHandler ? outboundStream(frame.id, from: source) : inboundStream(frame.id, from: source)
            stream?.receive(frame.payload)
        case .end:
            if fromHandler {
                if let stream = outboundStream(frame.id, from: source) {
                    forget(stream)
                    stream.receiveEnd()
                }
            } else {
                inboundStream(frame.id, from: source)?.receiveEnd()
            }
        case .credit:
            let stream = fromHandler ? outboundStream(frame.id, from: source) : inboundStream(frame.id, from: source)
            stream?.receiveCredit(Int(frame.number), from: source)
        case .cancel:
            if fromHandler {
                outboundStream(frame.id, from: source).map { answerStream($0, .cancelled, "the handler cancelled the stream") }
            } else {
                cancelInbound(frame.id, from: source)
            }
        }
    }

    /// A reply (or refusal) for call or stream `id`.
    private func answer(_ id: UInt32, _ outcome: Result<[UInt8], TalkError>, from source: MessagePath) {
        if complete(id, outcome) { return }
        if let stream = outboundStream(id), case .failure(let error) = outcome {
            forget(stream)
            stream.fail(error)
            return
        }
        late(id, from: source)
    }

    private func answerStream(_ stream: TalkStream, _ code: TalkError.Code, _ text: String) {
        forget(stream)
        stream.fail(TalkError(code, text))
    }

    /// Caller's stream `id`; an unknown id is counted as a late frame when `counting`.
    /// Caller's stream `id`; an unknown id is a late frame (see ``late(_:from:)``) unless `source` is nil.
    private func outboundStream(_ id: UInt32, from source: MessagePath? = nil) -> TalkStream? {
        let stream = state.withLock { state -> TalkStream? in
            guard case .stream(let stream, _) = state.outbound[id] else { return nil }
            return stream
        }
        if stream == nil, let source { late(id, from: source) }
        return stream
    }

    private func inboundStream(_ id: UInt32, from source: MessagePath) -> TalkStream? {
        state.withLock { state in
            guard let stream = state.inbound[TalkState.InboundKey(path: source, id: id)]?.stream else {
                state.statistics.lateFrames += 1
                return nil
            }
            return stream
        }
    }

    private func cancelInbound(_ id: UInt32, from source: MessagePath) {
        guard let (task, stream) = state.withLock({ $0.cancelInbound(TalkState.InboundKey(path: source, id: id)) })
        else { return }
        stream?.fail(TalkError(.cancelled, "the caller cancelled"))
        task?.cancel()
    }

    private func heartbeat(_ frame: TalkFrame, from source: MessagePath) {
        guard let pipeID = source.first, source.count == 1 else { return }
        state.withLock { $0.peers[pipeID]?.speaksTalk = true }
        guard let hook = heartbeatHook.withLock({ $0 }) else { return }
        hook.call(TalkHeartbeat(pipeID: pipeID, load: Double(frame.load) / Double(UInt16.max),
                           interval: .milliseconds(Int(frame.number)), isHello: frame.kind == .hello))
    }

    private func notification(_ frame: TalkFrame, from source: MessagePath) {
        guard let handler = notificationHandlers.withLock({ $0[frame.name] }) else {
            state.withLock { $0.statistics.unhandledNotifications += 1 }
            return
        }
        handler(TalkNotification(name: frame.name, payload: frame.payload, peer: source, coder: configuration.coder))
    }

    /// A frame of another version: answered with a mismatch (never a mismatch itself, so two peers never
    /// answer each other forever); a direct peer's hello also closes its pipe, 100 ms after the answer.
    private func refuseVersion(_ frame: TalkFrame, from source: MessagePath) {
        guard frame.kind != .versionMismatch else {
            mismatch(frame, from: source)
            return
        }
        state.withLock { $0.statistics.versionMismatches += 1 }
        let flags: TalkFrame.Flags = frame.flags.contains(.fromHandler) ? [] : .fromHandler
        sendNow(TalkFrame(.versionMismatch, id: frame.id, flags: flags, payload: [TalkFrame.currentVersion]),
                to: source)
        guard frame.kind == .hello, source.count == 1, let pipeID = source.first else { return }
        let pipe = state.withLock { state -> MessagePipe? in
            state.peers[pipeID]?.refusal = TalkError(.versionMismatch,
                                                     "peer speaks Talk version \(frame.version), this peer \(TalkFrame.currentVersion)")
            return state.peers[pipeID]?.pipe
        }
        // The refusal goes out first: the pipe closes a moment later, not over the frame still queued.
        if let pipe { _ = socket.schedule(after: .milliseconds(100)) { pipe.close() } }
    }

    /// The peer refused our version: the call or stream fails, and so does everything on its pipe.
    private func mismatch(_ frame: TalkFrame, from source: MessagePath) {
        let theirs = frame.version != TalkFrame.currentVersion
            ? "\(frame.version)" : frame.payload.map { "\($0)" }.joined(separator: ", ")
        let error = TalkError(.versionMismatch,
                              "peer speaks Talk version \(theirs), this peer speaks \(TalkFrame.currentVersion)")
        if source.count == 1, let pipeID = source.first {
            state.withLock { $0.peers[pipeID]?.refusal = error }
        }
        if frame.id != 0 { answer(frame.id, .failure(error), from: source) }
    }

    // MARK: Handling calls

    private func handleRequest(_ frame: TalkFrame, from source: MessagePath) {
        guard let handler = admit(frame, from: source, stream: false) else { return }
        guard case .unary(let body) = handler else {
            finishInbound(frame, from: source, stream: false)
            sendNow(TalkFrame(.failure, id: frame.id, flags: .fromHandler,
                              payload: Array("'\(frame.name)' is a stream: open it as one".utf8)), to: source)
            return
        }
        let key = TalkState.InboundKey(path: source, id: frame.id)
        let request = TalkRequest(operation: frame.name, payload: frame.payload, peer: source, talk: self)
        let task = Task { [self] in
            let reply: TalkFrame?
            do {
                reply = TalkFrame(.result, id: frame.id, flags: .fromHandler, payload: try await body(request))
            } catch {
                reply = Task.isCancelled ? nil : failureFrame(error, id: frame.id)
            }
            state.withLock { $0.finished(key, stream: false) }
            if let reply { try? await send(reply, to: source) }
        }
        if state.withLock({ $0.attach(task, stream: nil, to: key) }) { task.cancel() }
    }

    private func openStream(_ frame: TalkFrame, from source: MessagePath) {
        guard let handler = admit(frame, from: source, stream: true) else { return }
        guard case .stream(let body) = handler else {
            finishInbound(frame, from: source, stream: true)
            sendNow(TalkFrame(.failure, id: frame.id, flags: .fromHandler,
                              payload: Array("'\(frame.name)' is not a stream: call it".utf8)), to: source)
            return
        }
        let key = TalkState.InboundKey(path: source, id: frame.id)
        let stream = TalkStream(talk: self, id: frame.id, isCaller: false, path: source,
                                peerWindow: Int(frame.number), timeout: configuration.readTimeout)
        if frame.flags.contains(.requestComplete) { _ = stream.state.withLock { $0.endInput() } }
        let request = TalkRequest(operation: frame.name, payload: frame.payload, peer: source, talk: self)
        // The first credit also names the path for the caller, whose writers wait for it: never dropped.
        sendWithoutLoss(TalkFrame(.credit, id: frame.id, flags: .fromHandler, number: UInt32(window)), to: source)
        let task = Task { [self] in
            do {
                try await body(stream, request)
                try await stream.finish()
            } catch {
                if stream.fail(error), !Task.isCancelled {
                    try? await send(failureFrame(error, id: frame.id), to: source)
                }
            }
            stream.fail(TalkError(.closed, "stream \(frame.id) ended"))
            state.withLock { $0.finished(key, stream: true) }
        }
        if state.withLock({ $0.attach(task, stream: stream, to: key) }) { task.cancel() }
    }

    /// The handler for a call or stream, admitted within the limits; `nil` when it was answered already
    /// (unknown operation, retry at a limit) or is a duplicate.
    private func admit(_ frame: TalkFrame, from source: MessagePath, stream: Bool) -> TalkHandler? {
        guard let handler = handlers.withLock({ $0[frame.name] }) else {
            sendNow(TalkFrame(.unknownOperation, id: frame.id, flags: .fromHandler, payload: Array(frame.name.utf8)),
                    to: source)
            return nil
        }
        let key = TalkState.InboundKey(path: source, id: frame.id)
        let limit = stream ? configuration.maxConcurrentStreams : configuration.maxConcurrentRequests
        switch state.withLock({ $0.admit(key, stream: stream, limit: limit) }) {
        case .admitted: return handler
        case .duplicate:
            state.withLock { $0.statistics.lateFrames += 1 }
            return nil
        case .limited:
            let milliseconds = UInt32(clamping: configuration.retryAfter.components.seconds * 1000
                + configuration.retryAfter.components.attoseconds / 1_000_000_000_000_000)
            sendNow(TalkFrame(.retry, id: frame.id, flags: .fromHandler, number: milliseconds,
                              payload: Array("\(stream ? "stream" : "call") limit \(limit) reached".utf8)),
                    to: source)
            return nil
        }
    }

    private func finishInbound(_ frame: TalkFrame, from source: MessagePath, stream: Bool) {
        state.withLock { $0.finished(TalkState.InboundKey(path: source, id: frame.id), stream: stream) }
    }

    /// The frame answering a handler's error: retry for ``TalkError/retry(after:_:)``, else its text.
    private func failureFrame(_ error: any Error, id: UInt32) -> TalkFrame {
        if let talkError = error as? TalkError, talkError.code == .retry {
            let delay = talkError.retryAfter ?? configuration.retryAfter
            let milliseconds = UInt32(clamping: delay.components.seconds * 1000
                + delay.components.attoseconds / 1_000_000_000_000_000)
            return TalkFrame(.retry, id: id, flags: .fromHandler, number: milliseconds,
                             payload: Array(talkError.message.utf8))
        }
        let text = (error as? TalkError)?.message ?? "\(error)"
        return TalkFrame(.failure, id: id, flags: .fromHandler, payload: Array(text.utf8))
    }
}
