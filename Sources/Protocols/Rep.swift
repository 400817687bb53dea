@_spi(Internals) import MultiSocketConnector
import Synchronization

/// The replying side of request/reply (REP, 0x31; peer ``Req``, 0x30).
///
/// Each request goes to whichever task is receiving; the task answers through the path the request
/// carries, at any time and in any order. ``serve(workers:_:)`` runs a pool of such tasks, and
/// ``shutdown()`` ends it gracefully: every request already read is answered before the socket closes.
public final class Rep: ProtocolRole {
    /// A received request: its id, its body, and the path back to the requester.
    public struct Request: Sendable, Hashable {
        /// The requester's id for this request.
        public let id: UInt32
        /// The request body, without the id.
        public let body: [UInt8]
        /// The path back to the requester (the received message's source).
        public let path: MessagePath
    }

    /// REP (0x31), whose peer is REQ (0x30).
    public static let identity = ProtocolIdentity.rep
    /// The socket: receives from all, sends only along paths.
    public let socket: Socket
    private let malformed = Atomic(0)
    /// The workers of ``serve(workers:_:)`` running now, and the shutdowns waiting for them to return.
    private let serving = Locked((running: 0, waiting: [UnsafeContinuation<Void, Never>]()))

    /// Creates a replier. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .toDest, receiver: .all, options: options.with(Self.identity))
    }

    /// Requests dropped because they were too short to carry an id.
    public var droppedRequests: Int { malformed.load(ordering: .relaxed) }

    /// Receives the next request. Each request goes to exactly one of the tasks receiving concurrently.
    ///
    /// A cancelled receive consumes nothing and throws `CancellationError`.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the socket is closed and drained; `CancellationError`.
    public func receive() async throws -> Request {
        while true {
            let message = try await socket.receive()
            guard let (id, body) = ProtocolHeader.split(message.content) else {
                malformed.add(1, ordering: .relaxed)
                continue
            }
            return Request(id: id, body: body, path: message.source)
        }
    }

    /// Sends `body` as the reply to `request`, back along its path.
    ///
    /// Replies are best effort, as in mangos: a reply never waits for a requester that does not read. When
    /// the requester's pipe is full (its queue of ``/MultiSocket/SocketOptions/sendQueueSize`` replies beyond what the
    /// kernel took), the reply is dropped, counted as ``/MultiSocket/DropReason/queueFull``, and `messageDropped` is
    /// thrown; a requester that reads gets its replies, and one that stops reading cannot stall the workers
    /// serving everyone else. Its ``Req`` times out or resends. Never suspends, so cancellation has no
    /// effect.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `brokenPath` (the requester is gone), `messageDropped` (its pipe is
    ///   full), `closed`, `messageTooLarge`.
    public func reply(to request: Request, _ body: [UInt8]) async throws {
        try socket.sendToOrDrop(request.path, ProtocolHeader.prepend(request.id, to: body))
    }

    /// Answers `request` with a failure instead of a reply: the requester's ``Req/request(_:timeout:resendInterval:)-([UInt8],_,_)``
    /// throws ``/MultiSocketConnector/MultiSocketError/Code/handlerFailed`` with `reason` at once.
    ///
    /// On the multisocket wire the answer is the request id and `reason` (UTF-8, cut to
    /// ``maxFailureLength`` bytes) in a message with the ``/MultiSocketConnector/MessageFlags/control`` flag. The
    /// Scalability Protocols wire (`sp+` addresses, NNG peers) has no such answer: there nothing is written and
    /// the request stays unanswered, as NNG's REP leaves it. Best effort and never suspends, like
    /// ``reply(to:_:)-(_,[UInt8])``.
    /// - Throws: as ``reply(to:_:)-(_,[UInt8])``.
    public func replyFailure(to request: Request, _ reason: String) throws {
        let text = Array(reason.utf8.prefix(Self.maxFailureLength))
        try socket.sendToOrDrop(request.path, ProtocolHeader.prepend(request.id, to: text), flags: .control)
    }

    /// The most bytes of a failure's text that ``replyFailure(to:_:)`` sends.
    public static let maxFailureLength = 1024

    /// Serves requests with `workers` concurrent tasks until the socket closes: each worker receives a
    /// request, calls `handler`, and sends back what it returns (`nil`: no reply). A handler that throws is
    /// counted (``/MultiSocket/SocketStatistics/handlerFailures``), reported
    /// (``/MultiSocket/SocketEvent/handlerFailed(path:error:)``) and answered with ``replyFailure(to:_:)``, so
    /// its requester gets `handlerFailed` at once rather than a timeout (over `sp+` addresses the request stays
    /// unanswered). A reply whose requester is gone, or whose pipe is full (see ``reply(to:_:)-(_,[UInt8])``), is dropped.
    ///
    /// Returns when the socket is closed, or once ``shutdown()`` stopped its input and the workers answered
    /// every request already read. Cancellation stops every worker (a request being handled gets no reply,
    /// and a handler that throws because it was cancelled is not counted) and throws `CancellationError`.
    /// - Throws: `CancellationError`; ``/MultiSocketConnector/MultiSocketError`` other than `closed`/`brokenPath` from replying.
    public func serve(workers: Int = 1,
                      _ handler: @escaping @Sendable (Request) async throws -> [UInt8]?) async throws {
        let count = max(1, workers)
        serving.withLock { $0.running += count }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask { [self] in
                    defer { workerReturned() }
                    while true {
                        let request: Request
                        do {
                            request = try await receive()
                        } catch let error as MultiSocketError where error.code == .closed {
                            return
                        }
                        do {
                            let outcome: [UInt8]?
                            do {
                                outcome = try await handler(request)
                            } catch {
                                try Task.checkCancellation()
                                socket.reportHandlerFailure(path: request.path, error: "\(error)")
                                try replyFailure(to: request, "\(error)")
                                continue
                            }
                            guard let reply = outcome else {
                                try Task.checkCancellation()
                                continue
                            }
                            try await self.reply(to: request, reply)
                        } catch let error as MultiSocketError {
                            if error.code == .closed { return }
                            if error.code != .brokenPath && error.code != .messageDropped { throw error }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Shuts the replier down gracefully: stops taking requests (``/MultiSocket/Socket/stopReceiving()``: no new peer, pipes
    /// read no more, what arrives meanwhile is dropped and counted as ``/MultiSocket/DropReason/receivingStopped``), lets the
    /// workers of ``serve(workers:_:)`` handle and answer every request already read, then closes the socket,
    /// whose linger flushes the answers. Returns once it is closed; every worker of `serve` has returned by then. Call it from
    /// a SIGTERM handler or a service's graceful-shutdown hook.
    ///
    /// Requests received with ``receive()`` or ``requests`` instead are the caller's to answer: call
    /// `socket.stopReceiving()`, answer until the sequence ends, then `close()`. Requesters whose requests
    /// were not read see their pipe go (a ``Req`` resends to another replier, or fails with `brokenPath`).
    /// Runs on the caller's task; not cancellable; throws nothing.
    public func shutdown() async {
        await socket.stopReceiving()
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let idle = serving.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.waiting.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        await socket.close()
    }

    /// A worker of ``serve(workers:_:)`` returned: the last one resumes the shutdowns waiting.
    private func workerReturned() {
        let waiting = serving.withLock { state -> [UnsafeContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
