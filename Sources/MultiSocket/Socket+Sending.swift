@_spi(Internals) import MultiSocketConnector
/// The send paths: the shared to-one queue served by idle pipes, and path-addressed sends that wait
/// for one pipe. Each lock runs one ``SocketState`` transition; its action is performed after the lock.
extension Socket {

    /// Sends a to-one message, suspending only while the shared queue is full.
    @inline(__always)
    func sendToOne(_ message: Message) async throws {
        if try sendToOneNow(message) { return }
        _ = try await waitForRoom(message, pipeID: nil, drains: 0)
    }

    /// The part of a to-one send that never suspends (no async frame for the common case). Returns `false`
    /// when the sender must wait for room in the shared queue.
    func sendToOneNow(_ message: Message) throws -> Bool {
        switch state.withLock({ $0.sendToOne(message) }) {
        case .write(let pipe, let drains):
            let result = pipe.link.send(message)
            if case .accepted(idle: true) = result { return true }
            switch state.withLock({ $0.settleWrite(message, to: pipe.id, drains: drains, result) }) {
            case .done: break
            case .serve(let carrier): serve(carrier)
            case .unencodable(let error):
                hub.emit(.messageDropped(.unencodable))
                throw error
            }
        case .serve(let carrier): serve(carrier)
        case .queued: break
        case .suspend: return false
        case .drop:
            hub.emit(.messageDropped(.queueFull))
            throw MultiSocketError(.messageDropped, "send queue full")
        case .fail(let error): throw error
        }
        return true
    }

    /// Sends a to-one message only if an idle pipe takes it now; never queues, never suspends.
    func trySendToOne(_ message: Message) throws -> TrySendResult {
        while true {
            switch state.withLock({ $0.trySendToOne(message) }) {
            case .write(let pipe, let drains):
                let result = pipe.link.send(message)
                if case .accepted(idle: true) = result { return .sent(pipeID: pipe.id) }
                switch state.withLock({ $0.settleTry(message, to: pipe.id, drains: drains, result) }) {
                case .sent: return .sent(pipeID: pipe.id)
                case .retry: continue
                case .wouldBlock: return .wouldBlock
                case .unencodable(let error):
                    hub.emit(.messageDropped(.unencodable))
                    throw error
                }
            case .wouldBlock: return .wouldBlock
            case .noPeer: return .noPeer
            case .fail(let error): throw error
            }
        }
    }

    /// Writes queued to-one messages to `pipe` (see ``SocketCore/serve(_:)``).
    func serve(_ pipe: MessagePipe) {
        core.serve(pipe)
    }

    /// Sends a to-destination message through the pipe its destination names, waiting while it is full.
    @usableFromInline
    func sendAlong(_ message: Message) async throws {
        guard let first = message.destination.first else { return }
        var (pipe, drains) = try pipe(named: first, for: message, counting: true)
        var counted = true
        while true {
            if try attempt(message, through: pipe, counted: &counted) { return }
            if try await waitForRoom(message, pipeID: pipe.id, drains: drains) { return }
            (pipe, drains) = try self.pipe(named: first, for: message, counting: false)
        }
    }

    /// The pipe a path's first id names and its drain count; with `counting`, the message is counted as
    /// sent already (one lock for the common case; ``attempt(_:through:counted:)`` uncounts it if need be).
    /// - Throws: `closed`, or `brokenPath` when no such pipe exists.
    func pipe(named id: UInt32, for message: Message, counting: Bool) throws(MultiSocketError)
        -> (MessagePipe, drains: Int)
    {
        switch state.withLock({ $0.pipe(named: id, for: message, counting: counting) }) {
        case .pipe(let pipe, let drains): return (pipe, drains)
        case .fail(let error): throw error
        }
    }

    /// Sends a to-all message to every current pipe.
    func broadcast(_ message: Message) async throws {
        let targets = try state.withLock { state throws(MultiSocketError) in try state.broadcastTargets() }
        for target in targets {
            let pipe = target.pipe
            var drains = target.drains
            var counted = false
            while true {
                do {
                    if try await send(message, through: pipe, drains: drains, counted: &counted) { break }
                } catch let error as MultiSocketError where error.code == .brokenPath || error.code == .messageDropped {
                    break
                }
                guard let seen = state.withLock({ $0.drains(of: pipe.id) }) else { break }
                drains = seen
            }
        }
    }

    /// Sends through one pipe, waiting while it is full. Returns `true` when sent, `false` to try again (the
    /// pipe drained meanwhile). `counted` says whether the message is already in the sent statistics.
    private func send(_ message: Message, through pipe: MessagePipe, drains: Int,
                      counted: inout Bool) async throws -> Bool {
        if try attempt(message, through: pipe, counted: &counted) { return true }
        return try await waitForRoom(message, pipeID: pipe.id, drains: drains)
    }

    /// One attempt through one pipe, without suspending. Returns `true` when the pipe took the message,
    /// `false` when it is full. `counted` says whether the message is already in the sent statistics; it
    /// stays true only if the pipe took it.
    /// - Throws: `brokenPath` (the pipe closed), `messageDropped` (full, best effort), or the encoding error.
    func attempt(_ message: Message, through pipe: MessagePipe, counted: inout Bool) throws -> Bool {
        let result = pipe.link.send(message)
        if case .accepted = result {
            if !counted { state.withLock { $0.countSent(message) } }
            counted = true
            return true
        }
        if counted {
            state.withLock { $0.uncountSent(message) }
            counted = false
        }
        switch result {
        case .accepted:
            return true
        case .full:
            if options.bestEffort {
                drop(.queueFull)
                throw MultiSocketError(.messageDropped, "queue of pipe \(pipe.id) full")
            }
            return false
        case .closed:
            throw MultiSocketError(.brokenPath, "pipe \(pipe.id) closed")
        case .unencodable(let error):
            drop(.unencodable)
            throw error
        }
    }

    /// Suspends until the message is taken: into the shared queue (`pipeID` nil) or by the pipe when it
    /// drains; for at most ``SocketOptions/sendTimeout``. Returns `false` when the pipe drained before the
    /// wait began (send again at once).
    /// - Throws: `closed`, `brokenPath` (the pipe is gone or can send nothing more), `timedOut` (nothing
    ///   was sent), `CancellationError`.
    private func waitForRoom(_ message: Message, pipeID: UInt32?, drains: Int) async throws -> Bool {
        let id = state.withLock { $0.makeID() }
        var timer: SocketTimer?
        defer { if let timer { cancel(timer) } }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Bool, any Error>) in
                let cancelled = Task.isCancelled
                let action = state.withLock {
                    $0.waitForRoom(id, message: message, pipeID: pipeID, drains: drains, sender: continuation,
                                   cancelled: cancelled)
                }
                switch action {
                case .admitted: continuation.resume(returning: true)
                case .admittedAndServe(let carrier):
                    continuation.resume(returning: true)
                    serve(carrier)
                case .retry: continuation.resume(returning: false)
                case .suspended:
                    if let limit = options.sendTimeout {
                        // Armed once the sender waits, so that it cannot fire before there is one to end.
                        timer = schedule(after: limit) { [state] in
                            state.withLock { $0.cancelSend(id) }?.resume(
                                throwing: MultiSocketError(.timedOut, "no room to send within \(limit)"))
                        }
                    }
                case .fail(let error): continuation.resume(throwing: error)
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            state.withLock { $0.cancelSend(id) }?.resume(throwing: CancellationError())
        }
    }
}
