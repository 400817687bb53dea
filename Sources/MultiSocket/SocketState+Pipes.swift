@_spi(Internals) import MultiSocketConnector

/// The pipe transitions: added, removed, stopped sending, drained.
extension SocketState {
    /// What follows a pipe's arrival.
    enum AddAction {
        /// The pipe waits in the idle ring (or, raw, takes no to-one messages).
        case idle
        /// Messages were queued: the pipe is held to carry them; serve it.
        case serve(Pipe)
    }

    /// Adds a pipe the connector admitted.
    mutating func add(_ pipe: Pipe) -> AddAction {
        var record = PipeRecord(pipe: pipe)
        statistics.pipesAdded += 1
        if !record.isRaw { sendingPipes += 1 }
        // Raw pipes never take to-one messages (`canTake` is false for them).
        if shared.isEmpty || !record.canTake {
            pipes[pipe.id] = record
            offer(pipe.id)
            return .idle
        }
        record.held = true
        pipes[pipe.id] = record
        return .serve(pipe)
    }

    /// The senders a lost pipe leaves behind (to fail with `brokenPath`), and the closer to resume if the
    /// queues drained with it.
    struct PipeLoss {
        var senders: [Types.Sender] = []
        var linger: Types.Closer?
    }

    /// Forgets a removed pipe and takes the senders waiting for it. Returns `nil` if the socket did not
    /// hold the pipe.
    mutating func remove(_ pipeID: UInt32) -> PipeLoss? {
        guard let record = pipes.removeValue(forKey: pipeID) else { return nil }
        if !record.isRaw && !record.stoppedSending { sendingPipes -= 1 }
        pausedPipes[pipeID] = nil
        statistics.pipesRemoved += 1
        if record.inIdleRing {
            removedInIdle += 1
            if 2 * removedInIdle >= idle.count { sweepIdle() }
        }
        return PipeLoss(senders: takeWaiters(record.waiters), linger: lingerIfDrained())
    }

    /// Marks pipe `pipeID` as able to send nothing more and takes the senders waiting for it.
    mutating func stopSending(_ pipeID: UInt32) -> PipeLoss {
        guard var record = pipes[pipeID] else { return PipeLoss(linger: lingerIfDrained()) }
        if !record.isRaw && !record.stoppedSending { sendingPipes -= 1 }
        record.stoppedSending = true
        let waiters = record.waiters
        record.waiters = Ring()
        pipes[pipeID] = record
        return PipeLoss(senders: takeWaiters(waiters), linger: lingerIfDrained())
    }

    /// The pending sends of `ids` still waiting, oldest first, removed from the table.
    private mutating func takeWaiters(_ ids: Ring<UInt64>) -> [Types.Sender] {
        var ids = ids
        return ids.removeAll().compactMap { pendingSends.removeValue(forKey: $0)?.sender }
    }

    /// What a drained pipe does.
    enum DrainAction {
        /// The socket does not hold the pipe.
        case unknown
        /// Write the waiting senders' messages to `pipe`, oldest first (``PendingSend``); then, with
        /// `serve`, serve the shared queue with it (it is held).
        case drained(pipe: Pipe, waiters: [PendingSend], drains: Int, serve: Bool)
    }

    /// Records a drain report: the pipe has room, its waiting senders go first, then the shared queue.
    mutating func drained(_ pipeID: UInt32) -> DrainAction {
        guard var record = pipes[pipeID] else { return .unknown }
        record.drains += 1
        record.busy = false
        let ids = record.waiters.removeAll()
        let waiters = ids.compactMap { pendingSends.removeValue(forKey: $0) }
        var serve = false
        if record.canTake && !shared.isEmpty {
            record.held = true
            serve = true
        }
        pipes[pipeID] = record
        if !serve { offer(pipeID) }
        return .drained(pipe: record.pipe, waiters: waiters, drains: record.drains, serve: serve)
    }

    /// What happens to senders a drained pipe could not take (it filled again).
    enum RequeueAction {
        /// It drained again meanwhile: try the next waiter again now.
        case retry(drains: Int)
        /// They wait again, at the front of the pipe's waiters, in order.
        case requeued
        /// The pipe is gone: fail them with `brokenPath`.
        case gone
    }

    /// Puts `waiters` back at the front of pipe `pipeID`'s waiters, unless it drained since `drainsSeen`.
    mutating func requeue(_ waiters: ArraySlice<PendingSend>, on pipeID: UInt32,
                          drainsSeen: Int) -> RequeueAction {
        guard var record = pipes[pipeID] else { return .gone }
        if record.drains != drainsSeen { return .retry(drains: record.drains) }
        for pending in waiters.reversed() {
            record.waiters.prepend(pending.id)
            pendingSends[pending.id] = pending
        }
        pipes[pipeID] = record
        return .requeued
    }
}
