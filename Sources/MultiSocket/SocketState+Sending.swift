@_spi(Internals) import MultiSocketConnector

/// The send transitions: to one peer through the shared queue and idle pipes, along a path, to all.
extension SocketState {
    /// What a to-one send does next.
    enum ToOneSendAction {
        /// Write the message to this idle pipe directly (it is counted as sent already; settle with
        /// ``settleWrite(_:to:drains:_:)`` unless the pipe took it and stayed idle).
        case write(Pipe, drains: Int)
        /// The message is queued and this pipe is held to carry the shared queue: serve it.
        case serve(Pipe)
        /// The message is queued; a pipe takes it when one is idle.
        case queued
        /// The queue is full: wait for room (``waitForRoom(_:message:pipeID:drains:sender:cancelled:)``).
        case suspend
        /// The queue is full and the socket is best effort: the drop is counted; report it and fail.
        case drop
        /// The send fails with this error.
        case fail(MultiSocketError)
    }

    /// Sends a to-one message: directly to the least recently used idle pipe when nothing is queued ahead
    /// of it, else into the shared queue.
    @inline(__always)
    mutating func sendToOne(_ message: Message) -> ToOneSendAction {
        guard lifecycle == .open else { return .fail(Self.closedError) }
        if shared.isEmpty, let target = nextIdlePipe() {
            // Counted now and uncounted if the pipe does not take it, so the common case needs no second lock.
            countSent(message)
            return .write(target.pipe, drains: target.drains)
        }
        if shared.count < sendQueueSize {
            shared.append(message)
            if let pipe = takeIdlePipe() { return .serve(pipe) }
            return .queued
        }
        if bestEffort {
            count(.queueFull)
            return .drop
        }
        return .suspend
    }

    /// What a non-blocking to-one send does next.
    enum TrySendAction {
        /// Write the message to this idle pipe (counted as sent already; settle with
        /// ``settleTry(_:to:drains:_:)`` unless the pipe took it and stayed idle).
        case write(Pipe, drains: Int)
        /// Peers exist but none can take the message now (all busy, or messages are queued ahead).
        case wouldBlock
        /// No pipe could take a to-one message at all.
        case noPeer
        /// The send fails with this error.
        case fail(MultiSocketError)
    }

    /// A to-one send that never queues: an idle pipe takes it, or nothing happens.
    mutating func trySendToOne(_ message: Message) -> TrySendAction {
        guard lifecycle == .open else { return .fail(Self.closedError) }
        if shared.isEmpty, let target = nextIdlePipe() {
            countSent(message)
            return .write(target.pipe, drains: target.drains)
        }
        return sendingPipes > 0 ? .wouldBlock : .noPeer
    }

    /// What follows a direct to-one write that did not leave its pipe idle.
    enum WriteSettlement {
        /// Nothing more to do.
        case done
        /// The message went back to the front of the shared queue and this pipe is held to carry it.
        case serve(Pipe)
        /// The message could not be encoded (the drop is counted): report it and throw.
        case unencodable(MultiSocketError)
    }

    /// Settles a direct to-one write: the pipe turns busy, and a message it did not take goes back to the
    /// front of the shared queue for the next idle pipe.
    mutating func settleWrite(_ message: Message, to pipeID: UInt32, drains: Int,
                              _ result: PipeSendResult) -> WriteSettlement {
        switch result {
        case .accepted:
            _ = markBusy(pipeID, drainsSeen: drains)
            return .done
        case .full:
            uncountSent(message)
            shared.prepend(message)
            _ = markBusy(pipeID, drainsSeen: drains)
        case .closed:
            // The connector removes the pipe shortly; until then nobody picks it.
            uncountSent(message)
            shared.prepend(message)
            pipes[pipeID]?.busy = true
        case .unencodable(let error):
            uncountSent(message)
            count(.unencodable)
            return .unencodable(error)
        }
        return carrierForShared().map { .serve($0) } ?? .done
    }

    /// What follows a non-blocking write that did not leave its pipe idle.
    enum TrySettlement {
        /// The pipe took it.
        case sent
        /// The pipe closed or drained meanwhile: try again (another pipe, or the same one).
        case retry
        /// The pipe is full; nothing was sent.
        case wouldBlock
        /// The message could not be encoded (the drop is counted): report it and throw.
        case unencodable(MultiSocketError)
    }

    /// Settles a non-blocking write. Unlike ``settleWrite(_:to:drains:_:)``, a message the pipe did not
    /// take is not queued: the caller keeps it.
    mutating func settleTry(_ message: Message, to pipeID: UInt32, drains: Int,
                            _ result: PipeSendResult) -> TrySettlement {
        switch result {
        case .accepted:
            _ = markBusy(pipeID, drainsSeen: drains)
            return .sent
        case .full:
            uncountSent(message)
            return markBusy(pipeID, drainsSeen: drains) ? .retry : .wouldBlock
        case .closed:
            uncountSent(message)
            pipes[pipeID]?.busy = true
            return .retry
        case .unencodable(let error):
            uncountSent(message)
            count(.unencodable)
            return .unencodable(error)
        }
    }

    // MARK: Serving the shared queue

    /// What a dispatcher of the shared queue does next.
    enum ServeStep {
        /// Write the batch to the held pipe, then settle with ``settleBatch(on:drains:_:rest:)``.
        case write(drains: Int)
        /// The held pipe is gone; carry on with this one (held now).
        case handOver(Pipe)
        /// Nothing left to write; the pipe is released. Resume the closer if there is one (the queues
        /// drained while a close lingers).
        case finished(linger: Types.Closer?)
    }

    /// Moves up to `limit` queued to-one messages into `batch` for the held pipe `pipeID`, admitting the
    /// oldest waiting senders' messages into the queue as room frees up (their senders go to `admitted`,
    /// to be resumed with `true`).
    @inline(__always)
    mutating func nextBatch(for pipeID: UInt32, limit: Int, into batch: inout Ring<Message>,
                            admitted: inout [Types.Sender]) -> ServeStep {
        guard let drains = pipes[pipeID]?.drains else {
            if let next = carrierForShared() { return .handOver(next) }
            return .finished(linger: lingerIfDrained())
        }
        while batch.count < limit, let message = shared.popFirst() {
            batch.append(message)
            while let id = sharedWaiters.popFirst() {
                guard let pending = pendingSends.removeValue(forKey: id) else { continue }
                shared.append(pending.message)
                admitted.append(pending.sender)
                break
            }
        }
        if batch.isEmpty {
            release(pipeID)
            return .finished(linger: lingerIfDrained())
        }
        return .write(drains: drains)
    }

    /// What a dispatcher does after a batch.
    enum ServeNext {
        /// The pipe has room: carry on with it.
        case carryOn
        /// The pipe turned busy or closed; carry on with this one (held now).
        case handOver(Pipe)
        /// Nothing to carry on with.
        case finished
    }

    /// Settles a batch written to the held pipe `pipeID`: counts what it took and puts what it did not take
    /// back at the front of the shared queue, in order.
    @inline(__always)
    mutating func settleBatch(on pipeID: UInt32, drains: Int, _ outcome: PipeBatchSendResult,
                              rest: inout Ring<Message>) -> ServeNext {
        statistics.messagesSent += outcome.sent
        statistics.bytesSent += outcome.bytes
        if outcome.unencodable > 0 { statistics.drops[.unencodable, default: 0] += outcome.unencodable }
        if !rest.isEmpty {
            for message in rest.removeAll().reversed() { shared.prepend(message) }
        }
        switch outcome.room {
        case .available:
            return .carryOn
        case .full:
            if markBusy(pipeID, drainsSeen: drains) { return .carryOn }
        case .closed:
            pipes[pipeID]?.held = false
            pipes[pipeID]?.busy = true
        }
        return carrierForShared().map { .handOver($0) } ?? .finished
    }

    // MARK: Waiting for room

    /// What a sender that found no room does.
    enum RoomWaitAction {
        /// The message went into the shared queue: resume with `true`.
        case admitted
        /// The message went into the shared queue and this pipe is held to carry it: resume with `true`,
        /// then serve the pipe.
        case admittedAndServe(Pipe)
        /// The pipe drained before the wait began: resume with `false` (send again at once).
        case retry
        /// The sender waits; a drain, a close or a cancellation resumes it.
        case suspended
        /// Resume with this error (closed, or the pipe is gone).
        case fail(MultiSocketError)
        /// The task was cancelled: resume with `CancellationError`.
        case cancelled
    }

    /// Registers sender `id` waiting to put `message` in the shared queue (`pipeID` nil) or into pipe
    /// `pipeID` once it drains past `drains`.
    mutating func waitForRoom(_ id: UInt64, message: Message, pipeID: UInt32?, drains: Int,
                              sender: Types.Sender, cancelled: Bool) -> RoomWaitAction {
        guard lifecycle == .open else { return .fail(Self.closedError) }
        if cancelled { return .cancelled }
        let pending = PendingSend(id: id, message: message, pipeID: pipeID, sender: sender)
        guard let pipeID else {
            if shared.count < sendQueueSize {
                shared.append(message)
                return takeIdlePipe().map { .admittedAndServe($0) } ?? .admitted
            }
            pendingSends[id] = pending
            sharedWaiters.append(id)
            return .suspended
        }
        guard let record = pipes[pipeID] else {
            return .fail(MultiSocketError(.brokenPath, "pipe \(pipeID) closed"))
        }
        if record.drains != drains { return .retry }
        pipes[pipeID]?.waiters.append(id)
        pendingSends[id] = pending
        return .suspended
    }

    /// Takes waiting sender `id` (its task was cancelled), if it still waits.
    mutating func cancelSend(_ id: UInt64) -> Types.Sender? {
        pendingSends.removeValue(forKey: id)?.sender
    }

    // MARK: Paths and broadcasts

    /// Where a path-addressed message goes.
    enum PathLookup {
        /// Through this pipe, whose drain count is `drains`.
        case pipe(Pipe, drains: Int)
        /// Nowhere: closed, or no such pipe (`brokenPath`).
        case fail(MultiSocketError)
    }

    /// The pipe named by a path's first id; with `counting`, the message is counted as sent already (one
    /// lock for the common case; the sender uncounts it if the pipe does not take it).
    @inline(__always)
    mutating func pipe(named id: UInt32, for message: Message, counting: Bool) -> PathLookup {
        guard lifecycle == .open else { return .fail(Self.closedError) }
        guard let record = pipes[id] else {
            return .fail(MultiSocketError(.brokenPath, "no pipe \(id) for path \(message.destination)"))
        }
        if counting { countSent(message) }
        return .pipe(record.pipe, drains: record.drains)
    }

    /// A pipe and its drain count, as a write to it starts.
    struct PipeSnapshot {
        let pipe: Pipe
        let drains: Int
    }

    /// Every current pipe, for a to-all send.
    /// - Throws: `closed`.
    func broadcastTargets() throws(MultiSocketError) -> [PipeSnapshot] {
        guard lifecycle == .open else { throw Self.closedError }
        return pipes.records.map { PipeSnapshot(pipe: $0.pipe, drains: $0.drains) }
    }

    /// The drain count of pipe `id`, or `nil` once it is gone.
    func drains(of id: UInt32) -> Int? {
        pipes[id]?.drains
    }
}
