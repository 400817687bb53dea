/// The requesting side of request/reply (REQ, 0x30; peer ``Rep``, 0x31).
///
/// Any number of tasks may call ``request(_:timeout:resendInterval:)`` at once. Each request gets its own
/// 4-byte big-endian id (from a counter seeded randomly) in front of its body and goes to one replier,
/// the next free one. One background task receives replies and hands each to the request with its id;
/// late, duplicate, unknown or malformed replies are dropped and counted in ``droppedReplies``. There is
/// no lock-step state: a timed-out or cancelled request simply forgets its id.
public final class Req: ProtocolRole {
    /// REQ (0x30), whose peer is REP (0x31).
    public static let identity = ProtocolIdentity.req
    /// The socket: sends to one peer, receives from all.
    public let socket: Socket
    private let core: ReqCore

    /// Creates a requester. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .toOne, receiver: .all, options: options.with(Self.identity))
        core = ReqCore(seed: UInt32.random(in: .min ... .max))
        // The reply loop runs on the I/O thread: a reply read there reaches its request without a hop.
        Task(executorPreference: socket.executor) { [socket, core] in
            while true {
                do {
                    core.deliver(try await socket.receive().content)
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
    /// The request is sent with ``Socket/send(_:)`` (to whichever peer is free; with none yet it waits in
    /// the send queue). With `resendInterval`, it is sent again after each interval without a reply, again
    /// to whichever peer is free then; the first reply wins and later ones are dropped and counted.
    ///
    /// Cancellation abandons the request: its id is forgotten, a reply arriving later is dropped, and
    /// `CancellationError` is thrown.
    /// - Parameters:
    ///   - timeout: how long to wait for the reply, sending included; `nil` waits forever.
    ///   - resendInterval: resend after this long without a reply; `nil` sends once.
    /// - Throws: ``MultiSocketError`` `timedOut` (no reply in time), `closed` (the socket closed before the
    ///   reply), `messageTooLarge`; `CancellationError`.
    public func request(_ body: [UInt8], timeout: Duration? = .seconds(16),
                        resendInterval: Duration? = nil) async throws -> [UInt8] {
        let id = try core.register()
        defer { core.abandon(id) }
        let payload = ProtocolHeader.encode(id) + body
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            defer { group.cancelAll() }
            group.addTask { [core] in try await core.wait(for: id) }
            group.addTask { [socket] in
                try await socket.send(payload)
                guard let resendInterval else { return nil }
                while true {
                    try await Task.sleep(for: resendInterval)
                    try await socket.send(payload)
                }
            }
            if let timeout {
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw MultiSocketError(.timedOut, "no reply to request \(id) within \(timeout)")
                }
            }
            while let result = try await group.next() {
                if let reply = result { return reply }
            }
            throw CancellationError()
        }
    }
}

/// The requests waiting for replies, by id. Continuations are resumed outside the lock.
final class ReqCore: Sendable {
    private enum Slot {
        case waiting(CheckedContinuation<[UInt8], any Error>?)
        case arrived([UInt8])
    }

    private let state: Locked<IDTable<Slot>>

    init(seed: UInt32) {
        state = Locked(IDTable(seed: seed))
    }

    var dropped: Int { state.withLock { $0.dropped } }
    var pending: Int { state.withLock { $0.count } }

    /// Reserves a fresh id.
    func register() throws(MultiSocketError) -> UInt32 {
        try state.withLock { slots throws(MultiSocketError) -> UInt32 in try slots.add(.waiting(nil)) }
    }

    /// Forgets `id`; a reply arriving later is dropped.
    func abandon(_ id: UInt32) {
        if case .waiting(let continuation?) = state.withLock({ $0.remove(id) }) {
            continuation.resume(throwing: CancellationError())
        }
    }

    /// Waits for the reply to `id`.
    func wait(for id: UInt32) async throws -> [UInt8] {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
                let outcome = state.withLock { slots -> Result<[UInt8], any Error>? in
                    switch slots[id] {
                    case .arrived(let reply)?:
                        slots[id] = nil
                        return .success(reply)
                    case .waiting?:
                        if Task.isCancelled { return .failure(CancellationError()) }
                        slots[id] = .waiting(continuation)
                        return nil
                    case nil:
                        return .failure(slots.closed ? MultiSocketError(.closed, "socket closed") : CancellationError())
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation = state.withLock { slots -> CheckedContinuation<[UInt8], any Error>? in
                guard case .waiting(let continuation?) = slots[id] else { return nil }
                slots[id] = .waiting(nil)
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Hands a received reply to its request, or drops it.
    func deliver(_ content: [UInt8]) {
        guard let (id, body) = ProtocolHeader.split(content) else {
            state.withLock { $0.dropped += 1 }
            return
        }
        let waiter = state.withLock { slots -> CheckedContinuation<[UInt8], any Error>? in
            guard case .waiting(let continuation)? = slots[id] else {
                slots.dropped += 1
                return nil
            }
            // With no continuation yet, the reply waits in the slot for `wait(for:)`.
            slots[id] = continuation == nil ? .arrived(body) : nil
            return continuation
        }
        waiter?.resume(returning: body)
    }

    /// Fails every waiting request with `closed`; later registrations throw `closed`.
    func finish() {
        let slots = state.withLock { slots in
            defer { slots.removeAll() }
            return slots.close()
        }
        let waiting = slots.compactMap { slot in
            if case .waiting(let continuation) = slot { continuation } else { nil }
        }
        for continuation in waiting { continuation.resume(throwing: MultiSocketError(.closed, "socket closed")) }
    }
}
