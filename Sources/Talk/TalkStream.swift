@_spi(Internals) import MultiSocketConnector

/// One end of a streaming call: ordered parts out (``send(_:)``, then ``finish()``), ordered parts in
/// (``next()``, or `for try await part in stream`), with credit-based back-pressure both ways.
///
/// The caller gets one from ``Talk/stream(_:_:sendsParts:options:)``; a handler registered with
/// ``Talk/handleStream(_:_:)`` gets the other end. Either side holds at most
/// ``TalkConfiguration/streamWindow`` bytes of parts it has not consumed: a producer faster than its
/// consumer waits in ``send(_:)`` for credit, so memory stays bounded on both sides.
///
/// One task should write and one read at a time (parts keep the order of ``send(_:)`` calls that return).
/// Cancelling a task waiting in ``send(_:)`` or ``next()`` cancels the whole stream, as ``cancel()`` does:
/// the peer is told (its handler task is cancelled, or its reader fails with ``TalkError/Code/cancelled``).
public final class TalkStream: AsyncSequence, Sendable {
    /// The parts, as an async sequence.
    public typealias Element = [UInt8]

    /// The stream's id (the caller's).
    public let id: UInt32
    /// Whether this is the caller's end.
    public let isCaller: Bool
    let talk: Talk
    let timeout: Duration
    let state: Locked<TalkStreamState>

    init(talk: Talk, id: UInt32, isCaller: Bool, path: MessagePath?, peerWindow: Int, timeout: Duration) {
        self.talk = talk
        self.id = id
        self.isCaller = isCaller
        self.timeout = timeout
        state = Locked(TalkStreamState(path: path, window: talk.window, peerWindow: peerWindow))
    }

    private var flags: TalkFrame.Flags { isCaller ? [] : .fromHandler }

    /// Bytes sent and not yet consumed by the peer (never more than the peer's window).
    public var unacknowledgedBytes: Int { state.withLock { $0.unacknowledged } }
    /// Bytes received and not yet consumed here (never more than ``TalkConfiguration/streamWindow``).
    public var bufferedBytes: Int { state.withLock { $0.buffered } }

    /// Sends one part, waiting for credit when the peer's window is full.
    ///
    /// Runs on the caller's task. Cancellation while waiting cancels the stream and throws
    /// `CancellationError`.
    /// - Throws: ``TalkError`` (`badPayload` for a part larger than the peer's window or after
    ///   ``finish()``; the stream's failure: `cancelled`, `peerLost`, `handlerFailed`, `closed` …);
    ///   ``/MultiSocketConnector/MultiSocketError`` from sending; `CancellationError`.
    public func send(_ part: [UInt8]) async throws {
        try checkCancellation()
        let path: MessagePath
        switch state.withLock({ $0.reserve(part.count) }) {
        case .go(let ready): path = ready
        case .failed(let error): throw error
        case .wait: path = try await waitForCredit(part.count)
        }
        try await talk.send(TalkFrame(.part, id: id, flags: flags, payload: part), to: path)
    }

    /// Sends `value` as one part, encoded with the configured coder.
    /// - Throws: as ``send(_:)``; ``TalkError`` `badPayload` when it cannot be encoded.
    public func send<Value: Encodable>(value: Value) async throws {
        try await send(TalkCoding.encode(value, with: talk.configuration.coder))
    }

    /// Waits for credit for a part of `bytes` and returns the path it goes along. The decision to wait is
    /// taken again, with the registration, in one transition (``TalkStreamState/reserve(_:writer:)``).
    private func waitForCredit(_ bytes: Int) async throws -> MessagePath {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: TalkStreamState.Writer) in
                switch state.withLock({ $0.reserve(bytes, writer: continuation) }) {
                case .go(let path): continuation.resume(returning: path)
                case .failed(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            self.cancel(CancellationError())
        }
    }

    /// Cancels the stream when the calling task is cancelled, even when no wait is needed.
    private func checkCancellation() throws {
        guard Task.isCancelled else { return }
        cancel(CancellationError())
        throw CancellationError()
    }

    /// Ends this side's parts with the end marker. A handler's stream is finished for it when it returns.
    /// - Throws: the stream's failure; ``/MultiSocketConnector/MultiSocketError`` from sending.
    public func finish() async throws {
        let path: MessagePath? = try state.withLock { state in
            if let failure = state.failure { throw failure }
            if state.outputEnded { return nil }
            state.outputEnded = true
            return state.path
        }
        guard let path else { return }
        try await talk.send(TalkFrame(.end, id: id, flags: flags), to: path)
    }

    /// The next part, or `nil` after the peer's end marker. Consuming a part gives the peer credit.
    ///
    /// Waits at most the read timeout for a part. Cancellation cancels the stream and throws
    /// `CancellationError`.
    /// - Throws: ``TalkError`` (`timedOut`, `cancelled`, `peerLost`, `handlerFailed`, `protocolViolation`,
    ///   `closed`, `versionMismatch`); `CancellationError`.
    public func next() async throws -> [UInt8]? {
        try checkCancellation()
        switch state.withLock({ $0.take() }) {
        case .part(let part, let grant):
            try await sendCredit(grant)
            return part
        case .end: return nil
        case .failed(let error): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: TalkStreamState.Reader) in
                let outcome: TalkStreamState.Take = state.withLock { state in
                    let taken = state.take()
                    if case .wait = taken { state.reader = continuation }
                    return taken
                }
                switch outcome {
                case .part(let part, let grant):
                    sendCreditNow(grant)
                    continuation.resume(returning: part)
                case .end: continuation.resume(returning: nil)
                case .failed(let error): continuation.resume(throwing: error)
                case .wait:
                    let timer = talk.socket.schedule(after: timeout) { [self] in
                        cancel(TalkError(.timedOut, "no part of stream \(id) within \(timeout)"))
                    }
                    let late = state.withLock { state -> Bool in
                        guard state.reader != nil else { return true }
                        state.readTimer = timer
                        return false
                    }
                    if late { talk.socket.cancel(timer) }
                }
            }
        } onCancel: {
            self.cancel(CancellationError())
        }
    }

    /// The next part decoded as `type`, or `nil` at the end.
    /// - Throws: as ``next()``; ``TalkError`` `badPayload`.
    public func next<Value: Decodable>(_ type: Value.Type) async throws -> Value? {
        guard let part = try await next() else { return nil }
        return try TalkCoding.decode(type, part, with: talk.configuration.coder)
    }

    /// Cancels the stream: waiting readers and writers fail with ``TalkError/Code/cancelled``, and the peer is
    /// told (the handler's task is cancelled, or the caller's reader fails). Idempotent; never suspends.
    public func cancel() {
        cancel(TalkError(.cancelled, "stream \(id) cancelled"))
    }

    /// Fails the stream with `error` and tells the peer; what ``cancel()``, cancellation and timeouts do.
    func cancel(_ error: any Error) {
        guard fail(error) else { return }
        let path = state.withLock { $0.path }
        if path == nil, isCaller { talk.cancelWhenAnswered(id) }
        if let path {
            let frame = isCaller
                ? TalkFrame(.cancel, id: id)
                : TalkFrame(.failure, id: id, flags: .fromHandler, payload: Array("\(error)".utf8))
            talk.sendNow(frame, to: path)
        }
        talk.forget(self)
    }

    /// Fails the stream locally with `error`; `false` when it had failed already.
    @discardableResult
    func fail(_ error: any Error) -> Bool {
        guard let (reader, writers, timer) = state.withLock({ $0.fail(error) }) else { return false }
        if let timer { talk.socket.cancel(timer) }
        reader?.resume(throwing: error)
        for writer in writers { writer.resume(throwing: error) }
        return true
    }

    /// A part from the peer, on the receive loop.
    func receive(_ part: [UInt8]) {
        switch state.withLock({ $0.receive(part) }) {
        case .buffered, .ignored: break
        case .handOver(let reader, let part, let grant, let timer):
            if let timer { talk.socket.cancel(timer) }
            sendCreditNow(grant)
            reader.resume(returning: part)
        case .violation:
            talk.countViolation()
            cancel(TalkError(.protocolViolation, "peer sent parts beyond its credit on stream \(id)"))
        }
    }

    /// The peer's end marker. On the caller's side it also ends the exchange: writers still waiting fail.
    func receiveEnd() {
        let ending = state.withLock { $0.endInput(endingOutput: isCaller) }
        if let timer = ending.timer { talk.socket.cancel(timer) }
        ending.reader?.resume(returning: nil)
        for writer in ending.writers {
            writer.resume(throwing: TalkError(.cancelled, "the handler ended stream \(id)"))
        }
    }

    /// Credit from the peer (and, on the caller's side, the path to the handler).
    func receiveCredit(_ bytes: Int, from path: MessagePath) {
        for (writer, path) in state.withLock({ $0.credit(bytes, from: path) }) { writer.resume(returning: path) }
    }

    /// Gives the peer `grant` more bytes, waiting for room on the pipe (credit must not be lost).
    private func sendCredit(_ grant: UInt32?) async throws {
        guard let grant, let path = state.withLock({ $0.path }) else { return }
        try await talk.send(TalkFrame(.credit, id: id, flags: flags, number: grant), to: path)
    }

    /// Gives the peer `grant` more bytes from a context that cannot wait (the receive loop): a full pipe
    /// delays the credit, never drops it (a lost grant would stall the peer's writer for good).
    private func sendCreditNow(_ grant: UInt32?) {
        guard let grant, let path = state.withLock({ $0.path }) else { return }
        talk.sendWithoutLoss(TalkFrame(.credit, id: id, flags: flags, number: grant), to: path)
    }

    /// Iterates the parts.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: TalkStream
        /// The next part, as ``TalkStream/next()``.
        public mutating func next() async throws -> [UInt8]? { try await stream.next() }
    }

    /// An iterator over the parts.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }
}
