@_spi(Internals) import MultiSocketConnector
/// What a waiting request wakes to.
enum ReqWake {
    /// Its reply, without the id.
    case reply([UInt8])
    /// The replier's handler failed: its failure answer's text (``Rep/replyFailure(to:_:)``).
    case failed(String)
    /// Its resend interval passed without a reply: send it again.
    case resend
    /// Its deadline passed without a reply.
    case expired
    /// The pipe that carried it was removed before a reply came.
    case peerLost
}

/// The requests waiting for replies, by id, with their deadlines and the pipe that carried each. Continuations
/// are resumed outside the lock.
///
/// It observes its socket's pipes (``/MultiSocket/PipeObserver``): when a pipe is removed, every request it carried and
/// that has no reply wakes at once with ``ReqWake/peerLost``.
///
/// Deadlines and resends cost no task and no timer each: one socket timer is armed for the earliest
/// instant any request needs, and is re-armed only when a new request needs an earlier one. When it fires
/// it wakes every request that is due and arms the next earliest instant. A request that ends before its
/// instant leaves the timer alone; the timer then fires for nothing, at most once per timeout.
final class ReqCore: PipeObserver {
    private struct Slot {
        var waiter: UnsafeContinuation<ReqWake, any Error>?
        var reply: [UInt8]?
        /// The reply is a failure answer; ``reply`` holds its text.
        var failed = false
        var deadline: ContinuousClock.Instant?
        var resendInterval: Duration?
        var resendAt: ContinuousClock.Instant?
        /// The deadline passed; no reply is taken any more.
        var expired = false
        /// A resend fell due while nobody waited; the next ``wait(for:)`` returns it.
        var resendDue = false
        /// The pipe that took the latest send, when known (a send queued in the shared queue has none).
        var pipeID: UInt32?
        /// ``State/removals`` when the latest send began: a removal since may have missed this request.
        var removalsSeen: UInt64 = 0
        /// Its pipe was removed while nobody waited; the next ``wait(for:)`` returns it.
        var lost = false
        /// A pipe took one of its sends (known only for sends that did not go through the shared queue).
        var sentOnPipe = false
        /// ``State/additions`` and ``State/removals`` when it was registered: unchanged, with no pipe now,
        /// means no pipe existed while it waited.
        var additionsAtStart: UInt64 = 0
        var removalsAtStart: UInt64 = 0

        /// What a wait returns for the reply it holds.
        func wake(_ reply: [UInt8]) -> ReqWake {
            failed ? .failed(String(decoding: reply, as: UTF8.self)) : .reply(reply)
        }

        /// The next instant the timer must wake this request at.
        var nextInstant: ContinuousClock.Instant? {
            guard reply == nil, !expired else { return nil }
            switch (deadline, resendAt) {
            case (let deadline?, let resendAt?): return min(deadline, resendAt)
            case (let deadline?, nil): return deadline
            case (nil, let resendAt): return resendAt
            }
        }
    }

    private struct State {
        var slots: IDTable<Slot>
        /// The instant the earliest armed timer fires at, and its token.
        var armed: (at: ContinuousClock.Instant, token: UInt64)?
        var tokens: UInt64 = 0
        /// Pipe removals heard so far.
        var removals: UInt64 = 0
        /// Pipe additions heard so far.
        var additions: UInt64 = 0

        /// Claims a timer for `instant` unless one fires no later; returns its token.
        mutating func arm(_ instant: ContinuousClock.Instant?) -> (ContinuousClock.Instant, UInt64)? {
            guard let instant else { return nil }
            if let armed, armed.at <= instant { return nil }
            tokens += 1
            armed = (instant, tokens)
            return (instant, tokens)
        }
    }

    private let state: Locked<State>
    /// The core of the socket whose timers and pipes this core uses (never the ``/MultiSocket/Socket`` handle, so that a
    /// dropped ``Req`` closes). It holds this core as an observer until it closes.
    private let socket: SocketCore

    init(seed: UInt32, socket: SocketCore) {
        state = Locked(State(slots: IDTable(seed: seed)))
        self.socket = socket
    }

    var dropped: Int { state.withLock { $0.slots.dropped } }
    var pending: Int { state.withLock { $0.slots.count } }

    /// Reserves a fresh id for a request that times out at `deadline` (`nil`: never) and is resent every
    /// `resendInterval` (`nil`: never).
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the socket is closed.
    func register(deadline: ContinuousClock.Instant?, resendInterval: Duration?) throws(MultiSocketError) -> UInt32 {
        let resendAt = resendInterval.map { ContinuousClock.now + $0 }
        var slot = Slot(deadline: deadline, resendInterval: resendInterval, resendAt: resendAt)
        let (id, timer) = try state.withLock { state throws(MultiSocketError) in
            slot.removalsSeen = state.removals
            slot.removalsAtStart = state.removals
            slot.additionsAtStart = state.additions
            let id = try state.slots.add(slot)
            return (id, state.arm(slot.nextInstant))
        }
        if let timer { schedule(timer) }
        return id
    }

    /// Forgets `id`; a reply arriving later is dropped.
    func abandon(_ id: UInt32) {
        state.withLock { $0.slots.remove(id) }?.waiter?.resume(throwing: CancellationError())
    }

    /// Records that pipe `pipeID` took request `id`'s latest send (`nil`: it was queued, pipe unknown), then
    /// waits until the reply arrives, the pipe is removed, the resend interval passes, or the deadline passes.
    /// A removal heard between the send and this record is caught by a look at the socket's pipes.
    ///
    /// Cancellation resumes it with `CancellationError`; the id stays registered until ``abandon(_:)``.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`; `CancellationError`.
    func wait(for id: UInt32, sentOn pipeID: UInt32?) async throws -> ReqWake {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<ReqWake, any Error>) in
                var missedRemoval = false
                let outcome = state.withLock { state -> Result<ReqWake, any Error>? in
                    guard var slot = state.slots[id] else {
                        return .failure(state.slots.closed ? MultiSocketError(.closed, "socket closed")
                                                           : CancellationError())
                    }
                    defer { state.slots[id] = slot }
                    slot.pipeID = pipeID
                    if pipeID != nil { slot.sentOnPipe = true }
                    missedRemoval = pipeID != nil && slot.removalsSeen != state.removals
                    slot.removalsSeen = state.removals
                    if let reply = slot.reply { return .success(slot.wake(reply)) }
                    if slot.expired { return .success(.expired) }
                    if slot.lost {
                        slot.lost = false
                        return .success(.peerLost)
                    }
                    if slot.resendDue {
                        slot.resendDue = false
                        return .success(.resend)
                    }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    slot.waiter = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
                if missedRemoval, let pipeID, socket.connector.pipe(pipeID) == nil { lose(pipeID) }
            }
        } onCancel: {
            state.withLock { $0.slots[id]?.waiter.take() }?.resume(throwing: CancellationError())
        }
    }

    /// Whether request `id` was certainly never sent: no pipe took it, and no pipe existed from its
    /// registration until now. Asked when it expires, before ``abandon(_:)``; any thread.
    func neverSent(_ id: UInt32) -> Bool {
        let unchanged = state.withLock { state -> Bool in
            guard let slot = state.slots[id], !slot.sentOnPipe else { return false }
            return slot.additionsAtStart == state.additions && slot.removalsAtStart == state.removals
        }
        return unchanged && socket.connector.pipes.isEmpty
    }

    /// Hands a received reply (or, `failed`, a failure answer's text) to its request, or drops it (unknown
    /// id, already answered, timed out, too short to carry an id).
    func deliver(_ content: [UInt8], failed: Bool = false) {
        guard let (id, body) = ProtocolHeader.split(content) else {
            state.withLock { $0.slots.dropped += 1 }
            return
        }
        let waiter = state.withLock { state -> UnsafeContinuation<ReqWake, any Error>? in
            guard var slot = state.slots[id], slot.reply == nil, !slot.expired else {
                state.slots.dropped += 1
                return nil
            }
            defer { state.slots[id] = slot }
            // Kept in the slot too: with nobody waiting yet, `wait(for:)` finds it there.
            slot.reply = body
            slot.failed = failed
            return slot.waiter.take()
        }
        waiter?.resume(returning: failed ? .failed(String(decoding: body, as: UTF8.self)) : .reply(body))
    }

    /// Fails every waiting request with `closed`; later registrations throw `closed`.
    func finish() {
        let slots = state.withLock { state in
            defer { state.slots.removeAll() }
            return state.slots.close()
        }
        for waiter in slots.compactMap(\.waiter) { waiter.resume(throwing: MultiSocketError(.closed, "socket closed")) }
    }

    /// Arms a socket timer that calls ``fire(_:)`` at `timer.at`.
    private func schedule(_ timer: (at: ContinuousClock.Instant, token: UInt64)) {
        let delay = max(.zero, timer.at - ContinuousClock.now)
        socket.schedule(after: delay) { [weak self] in self?.fire(timer.token) }
    }

    /// Wakes every request that is due (expired, or due a resend) and arms the next earliest instant.
    private func fire(_ token: UInt64) {
        let now = ContinuousClock.now
        var due: [(UnsafeContinuation<ReqWake, any Error>, ReqWake)] = []
        let timer = state.withLock { state -> (ContinuousClock.Instant, UInt64)? in
            if state.armed?.token == token { state.armed = nil }
            var earliest: ContinuousClock.Instant?
            state.slots.updateEach { slot in
                guard let instant = slot.nextInstant else { return }
                if instant <= now {
                    let wake: ReqWake
                    if let deadline = slot.deadline, deadline <= now {
                        slot.expired = true
                        wake = .expired
                    } else {
                        slot.resendAt = slot.resendInterval.map { now + $0 }
                        wake = .resend
                    }
                    if let waiter = slot.waiter {
                        due.append((waiter, wake))
                        slot.waiter = nil
                    } else if case .resend = wake {
                        slot.resendDue = true
                    }
                }
                if let next = slot.nextInstant { earliest = min(earliest ?? next, next) }
            }
            return state.arm(earliest)
        }
        if let timer { schedule(timer) }
        for (waiter, wake) in due { waiter.resume(returning: wake) }
    }

    /// Counts the addition (see ``neverSent(_:)``); a new pipe takes requests through the socket's idle ring.
    func pipeAdded(_ pipe: MessagePipe) {
        state.withLock { $0.additions += 1 }
    }

    /// Wakes every request `pipe` carried that has no reply yet with ``ReqWake/peerLost`` (or, with nobody
    /// waiting, marks it for the next wait). Called on the thread that removed the pipe, outside the socket's
    /// locks; resumes the waiters outside this core's lock.
    ///
    /// The pipe's last replies reached the socket's queue before its removal, but the reply loop may not have
    /// taken them yet (or was handed one and has not run). So the loss is posted to the socket's home reactor,
    /// the reply loop's executor: it runs after the loop's pending turn, which takes every message queued before
    /// it suspends again. A reply that arrived before its pipe went is never turned into `brokenPath`.
    func pipeRemoved(_ pipe: MessagePipe) {
        lose(pipe.id)
    }

    private func lose(_ pipeID: UInt32) {
        socket.afterPostedWork { [self] in pipeRemoved(pipeID) }
    }

    private func pipeRemoved(_ pipeID: UInt32) {
        var lost: [UnsafeContinuation<ReqWake, any Error>] = []
        state.withLock { state in
            state.removals += 1
            state.slots.updateEach { slot in
                guard slot.pipeID == pipeID, slot.reply == nil, !slot.expired else { return }
                slot.pipeID = nil
                if let waiter = slot.waiter.take() {
                    lost.append(waiter)
                } else {
                    slot.lost = true
                }
            }
        }
        for waiter in lost { waiter.resume(returning: .peerLost) }
    }
}
