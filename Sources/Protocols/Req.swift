/// The requesting side of request/reply (REQ, 0x30; peer ``Rep``, 0x31).
///
/// Any number of tasks may call ``request(_:timeout:resendInterval:)-([UInt8],_,_)`` at once. Each request gets its own
/// 4-byte big-endian id (from a counter seeded randomly) in front of its body and goes to one replier,
/// the next free one. One task, the reply loop, receives replies and hands each to the request with its id;
/// late, duplicate, unknown or malformed replies are dropped and counted in ``droppedReplies``. There is
/// no lock-step state: a timed-out or cancelled request simply forgets its id.
///
/// The reply loop is the Req's: `init` starts it on the socket's I/O thread, it holds the socket's core (not
/// the ``/MultiSocket/Socket``, nor the Req), and it ends when the socket closes — by `close()`, or because the Req
/// was dropped, which closes its socket. It never outlives the socket and never keeps it open.
///
/// A request knows the pipe that took it. When that pipe is removed (the replier closed, crashed or
/// lost its connection) before the reply came, the request is sent again at once to another peer — or,
/// with ``resendsOnPeerLoss`` off, fails at once with `brokenPath` — instead of waiting for its timeout.
public final class Req: ProtocolRole {
    /// REQ (0x30), whose peer is REP (0x31).
    public static let identity = ProtocolIdentity.req
    /// The socket: sends to one peer, receives from all.
    public let socket: Socket
    /// Whether a request whose pipe is removed before its reply is sent again at once to another peer
    /// (`true`), or fails at once with `brokenPath` (`false`, for requests that must not run twice).
    public let resendsOnPeerLoss: Bool
    private let core: ReqCore

    /// Creates a requester. `options.identity` is replaced by ``identity``.
    ///
    /// - Parameters:
    ///   - options: the socket's options.
    ///   - resendOnPeerLoss: see ``resendsOnPeerLoss``.
    public init(options: SocketOptions = .init(), resendOnPeerLoss: Bool = true) {
        socket = Socket(sender: .toOne, receiver: .all, options: options.with(Self.identity))
        resendsOnPeerLoss = resendOnPeerLoss
        core = ReqCore(seed: UInt32.random(in: .min ... .max), socket: socket.core)
        socket.addPipeObserver(core)
        // The reply loop runs on the I/O thread: a reply read there reaches its request without a hop. It holds
        // the socket's core, not the socket, so it ends (with `closed`) when the Req is closed or dropped.
        Task(executorPreference: socket.executor) { [receiver = socket.core, core] in
            while true {
                do {
                    let message = try await receiver.receive()
                    core.deliver(message.content, failed: message.flags.contains(.control))
                } catch {
                    core.finish()
                    return
                }
            }
        }
    }

    /// Replies dropped because no request was waiting for their id (late, duplicate, unknown) or because
    /// they were too short to carry an id.
    public var droppedReplies: Int { core.dropped }

    /// Requests waiting for their reply now.
    public var pendingRequests: Int { core.pending }

    /// Sends `body` to one replier and returns its reply.
    ///
    /// The request goes to whichever peer is free (with none free, or none yet, it waits in the send
    /// queue). With `resendInterval`, it is sent again after each interval without a reply, again to
    /// whichever peer is free then; the first reply wins and later ones are dropped and counted. When the
    /// pipe that took it is removed before the reply, it is sent again at once (or fails, see
    /// ``resendsOnPeerLoss``). A request that found no free peer goes through the send queue, is not
    /// tracked to the pipe that carries it, and relies on its timeout or resend interval.
    ///
    /// Cancellation abandons the request: its id is forgotten, a reply arriving later is dropped, and
    /// `CancellationError` is thrown.
    /// - Parameters:
    ///   - body: the request's content (the request id goes in front of it on the wire).
    ///   - timeout: how long to wait for the reply, sending included; `nil` waits forever.
    ///   - resendInterval: resend after this long without a reply; `nil` sends once.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `timedOut` (sent, and no reply in time), `noPeer` (no
    ///   replier took it before the timeout: it was never sent), `handlerFailed` (the replier's handler threw;
    ///   the context holds its error text, see ``Rep/replyFailure(to:_:)``), `closed` (the socket closed before the
    ///   reply), `brokenPath` (its peer was lost and ``resendsOnPeerLoss`` is off), `messageTooLarge` (over
    ///   ``/MultiSocketConnector/EndpointOptions/maxSendSize``); `CancellationError`.
    public func request(_ body: [UInt8], timeout: Duration? = .seconds(16),
                        resendInterval: Duration? = nil) async throws -> [UInt8] {
        try Task.checkCancellation()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let id = try core.register(deadline: deadline, resendInterval: resendInterval)
        defer { core.abandon(id) }
        let payload = ProtocolHeader.prepend(id, to: body)
        let expired: @Sendable () -> MultiSocketError = { [core] in
            core.neverSent(id)
                ? MultiSocketError(.noPeer, "request \(id) found no replier within \(timeout ?? .zero); it was never sent")
                : MultiSocketError(.timedOut, "no reply to request \(id) within \(timeout ?? .zero)")
        }
        while true {
            let pipeID = try await send(payload, before: deadline, or: expired)
            switch try await core.wait(for: id, sentOn: pipeID) {
            case .reply(let reply): return reply
            case .failed(let reason): throw MultiSocketError(.handlerFailed, "request \(id): \(reason)")
            case .resend: continue
            case .peerLost:
                if resendsOnPeerLoss { continue }
                throw MultiSocketError(.brokenPath, "the peer holding request \(id) went away before replying")
            case .expired: throw expired()
            }
        }
    }

    /// Sends `payload` and returns the pipe that took it; when no pipe is free, queues it and returns `nil`
    /// (the pipe that will carry it is not known), waiting for room until `deadline` at most.
    ///
    /// The request waits in the caller's task, so a send that needs no wait (the common case) costs no
    /// task of its own; only a wait for room runs a send and a timer side by side.
    private func send(_ payload: [UInt8], before deadline: ContinuousClock.Instant?,
                      or expired: @escaping @Sendable () -> MultiSocketError) async throws -> UInt32? {
        if case .sent(let pipeID) = try socket.trySend(payload) { return pipeID }
        if try socket.sendWithoutWaitingForRoom(payload) { return nil }
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            group.addTask { [socket] in try await socket.send(payload) }
            if let deadline {
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    throw expired()
                }
            }
            try await group.next()
        }
        return nil
    }
}
