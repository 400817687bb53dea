@_spi(Internals) import MultiSocketConnector
/// The send paths: the shared to-one queue served by idle pipes, and path-addressed sends that wait
/// for one pipe.
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
        enum Step {
            case direct(SocketState.PipeEntry, drains: Int)
            case serve(SocketState.PipeEntry)
            case queued
            case wait
            case dropped
        }
        let step = try state.withLock { state throws(MultiSocketError) -> Step in
            guard state.lifecycle == .open else { throw MultiSocketError(.closed, "socket closed") }
            if state.shared.isEmpty, let entry = state.nextIdlePipe() {
                // Counted now and uncounted if the pipe does not take it, so the common case needs no
                // second lock.
                state.countSent(message)
                return .direct(entry, drains: entry.drains)
            }
            if state.shared.count < options.sendQueueSize {
                state.shared.append(message)
                if let entry = state.takeIdlePipe() { return .serve(entry) }
                return .queued
            }
            return options.bestEffort ? .dropped : .wait
        }
        switch step {
        case .direct(let entry, let drains):
            let result = entry.pipe.link.send(message)
            if case .accepted(idle: true) = result { return true }
            try settle(message, sentTo: entry, drains: drains, result)
        case .serve(let entry): serve(entry)
        case .queued: break
        case .wait: return false
        case .dropped:
            drop(.queueFull)
            throw MultiSocketError(.messageDropped, "send queue full")
        }
        return true
    }

    /// Settles a direct to-one write that did not leave its pipe with room: the pipe turns busy, and a
    /// message it did not take goes back to the front of the shared queue for the next idle pipe.
    /// - Throws: the encoding error of an unencodable message (counted as a drop).
    private func settle(_ message: Message, sentTo entry: SocketState.PipeEntry, drains: Int,
                        _ result: PipeSendResult) throws {
        let (carrier, failure) = state.withLock { state -> (SocketState.PipeEntry?, MultiSocketError?) in
            switch result {
            case .accepted:
                _ = state.markBusy(entry, drainsSeen: drains)
                return (nil, nil)
            case .full:
                state.uncountSent(message)
                state.shared.prepend(message)
                _ = state.markBusy(entry, drainsSeen: drains)
                return (state.carrierForShared(), nil)
            case .closed:
                // The connector removes the pipe shortly; until then nobody picks it.
                state.uncountSent(message)
                state.shared.prepend(message)
                entry.busy = true
                return (state.carrierForShared(), nil)
            case .unencodable(let error):
                state.uncountSent(message)
                state.count(.unencodable)
                return (nil, error)
            }
        }
        if let carrier { serve(carrier) }
        if let failure {
            hub.emit(.messageDropped(.unencodable))
            throw failure
        }
    }

    /// Writes queued to-one messages to the pipe of `entry` (which the caller holds), a batch per lock on
    /// each side,
    /// while it can take more; if it turns busy or closes, another idle pipe carries on. Senders waiting
    /// for room in the shared queue are admitted as their turn comes.
    func serve(_ entry: SocketState.PipeEntry) {
        // A quarter of the queue per hand-over: measured best on inproc and tcp (16 of 64 against 32, 48
        // and 64; bench/NOTES.md).
        let serveBatch = max(1, options.sendQueueSize / 4)
        var carrier: SocketState.PipeEntry? = entry
        var batch = Ring<Message>()
        var admitted: [UnsafeContinuation<Bool, any Error>] = []
        while let current = carrier {
            var drains = 0
            var lingerWaiter: UnsafeContinuation<Void, Never>?
            state.withLock { state in
                drains = current.drains
                state.popShared(upTo: serveBatch, into: &batch, admitted: &admitted)
                if batch.isEmpty {
                    state.release(current)
                    if state.lingerWaiter != nil, Self.isDrained(state) { lingerWaiter = state.lingerWaiter.take() }
                }
            }
            for continuation in admitted { continuation.resume(returning: true) }
            admitted.removeAll(keepingCapacity: true)
            if batch.isEmpty {
                lingerWaiter?.resume()
                return
            }
            // The pipe takes what it has room for; what it did not take goes back.
            let outcome = current.pipe.link.send(batch: &batch)
            carrier = state.withLock { state -> SocketState.PipeEntry? in
                state.statistics.messagesSent += outcome.sent
                state.statistics.bytesSent += outcome.bytes
                if outcome.unencodable > 0 { state.statistics.drops[.unencodable, default: 0] += outcome.unencodable }
                state.putBack(&batch)
                switch outcome.room {
                case .available:
                    return current
                case .full:
                    return state.markBusy(current, drainsSeen: drains) ? current : state.carrierForShared()
                case .closed:
                    current.held = false
                    current.busy = true
                    return state.carrierForShared()
                }
            }
        }
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
    func pipe(named id: UInt32, for message: Message, counting: Bool) throws -> (MessagePipe, Int) {
        try state.withLock { state throws(MultiSocketError) -> (MessagePipe, Int) in
            guard state.lifecycle == .open else { throw MultiSocketError(.closed, "socket closed") }
            guard let entry = state.pipes[id] else {
                throw MultiSocketError(.brokenPath, "no pipe \(id) for path \(message.destination)")
            }
            if counting { state.countSent(message) }
            return (entry.pipe, entry.drains)
        }
    }

    /// Sends a to-all message to every current pipe.
    func broadcast(_ message: Message) async throws {
        let pipes = try state.withLock { state throws(MultiSocketError) -> [(MessagePipe, Int)] in
            guard state.lifecycle == .open else { throw MultiSocketError(.closed, "socket closed") }
            return state.pipes.values.map { ($0.pipe, $0.drains) }
        }
        for (pipe, drains) in pipes {
            var drains = drains
            var counted = false
            while true {
                do {
                    if try await send(message, through: pipe, drains: drains, counted: &counted) { break }
                } catch let error as MultiSocketError where error.code == .brokenPath || error.code == .messageDropped {
                    break
                }
                guard let seen = state.withLock({ $0.pipes[pipe.id]?.drains }) else { break }
                drains = seen
            }
        }
    }

    /// Sends through one pipe, waiting while it is full. Returns `true` when sent, `false` to try again (the
    /// pipe drained meanwhile). `counted` says whether the message is already in the sent statistics.
    private func send(_ message: Message, through pipe: MessagePipe, drains: Int, counted: inout Bool) async throws -> Bool {
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
    /// drains. Returns `false` when the pipe drained before the wait began (send again at once).
    private func waitForRoom(_ message: Message, pipeID: UInt32?, drains: Int) async throws -> Bool {
        let id = state.withLock { $0.makeID() }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Bool, any Error>) in
                var carrier: SocketState.PipeEntry?
                let outcome = state.withLock { state -> Result<Bool, any Error>? in
                    guard state.lifecycle == .open else { return .failure(MultiSocketError(.closed, "socket closed")) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    let pending = SocketState.PendingSend(message: message, pipeID: pipeID, continuation: continuation)
                    guard let pipeID else {
                        if state.shared.count < options.sendQueueSize {
                            state.shared.append(message)
                            carrier = state.takeIdlePipe()
                            return .success(true)
                        }
                        state.pendingSends[id] = pending
                        state.sharedWaiters.append(id)
                        return nil
                    }
                    guard let entry = state.pipes[pipeID] else {
                        return .failure(MultiSocketError(.brokenPath, "pipe \(pipeID) closed"))
                    }
                    if entry.drains != drains { return .success(false) }
                    entry.waiters.append(id)
                    state.pendingSends[id] = pending
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
                if let carrier { serve(carrier) }
            }
        } onCancel: {
            state.withLock { $0.pendingSends.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }
}
