@_spi(Internals) import MultiSocketConnector

/// A Talk peer's shared state: its own calls and streams (by id), the calls it is handling (by caller
/// path and id), and what it knows of each pipe. Lives in ``Talk``'s lock; methods are transitions that
/// return what to do after the lock.
struct TalkState {
    typealias Waiter = UnsafeContinuation<[UInt8], any Error>

    struct Call {
        let operation: String
        let deadline: ContinuousClock.Instant
        var waiter: Waiter?
        var outcome: Result<[UInt8], TalkError>?
        var pipeID: UInt32?
    }

    enum Outbound {
        case call(Call)
        case stream(TalkStream, pipeID: UInt32?)
    }

    struct InboundKey: Hashable {
        let path: MessagePath
        let id: UInt32
    }

    struct Inbound {
        var task: Task<Void, Never>?
        var cancelled = false
        var stream: TalkStream?
    }

    struct Peer {
        var pipe: MessagePipe?
        /// Heartbeat ticks since a frame last came in on the pipe: silence counted in this side's own
        /// ticks, so a side held up itself (ticking late) never blames its peers for the delay.
        var silentTicks = 0
        var speaksTalk = false
        var requests = 0
        var streams = 0
        var refusal: TalkError?
    }

    var nextID: UInt32
    var outbound: [UInt32: Outbound] = [:]
    var inbound: [InboundKey: Inbound] = [:]
    var peers: [UInt32: Peer] = [:]
    /// Caller's streams cancelled before the handler's first frame named its path: the cancel goes out
    /// when that frame arrives. Bounded by ``maxPendingCancels``.
    var pendingCancels: Set<UInt32> = []
    static let maxPendingCancels = 1024
    var closed = false
    var heartbeatTimer: SocketTimer?
    /// The one timer of all calls' deadlines, armed for the earliest (Req's way: no timer per call).
    var callTimer: SocketTimer?
    var callTimerDeadline: ContinuousClock.Instant?
    var statistics = TalkStatistics()

    init(seed: UInt32) { nextID = seed }

    mutating func makeID() throws(TalkError) -> UInt32 {
        if closed { throw TalkError(.closed, "talk peer closed") }
        repeat { nextID &+= 1 } while nextID == 0 || outbound[nextID] != nil
        return nextID
    }

    // MARK: Calls

    /// Registers a call; `rearm` says the call timer must be armed for its deadline (it is the earliest).
    mutating func registerCall(_ operation: String, deadline: ContinuousClock.Instant) throws(TalkError)
        -> (id: UInt32, rearm: Bool)
    {
        let id = try makeID()
        outbound[id] = .call(Call(operation: operation, deadline: deadline))
        guard callTimerDeadline.map({ deadline < $0 }) ?? true else { return (id, false) }
        callTimerDeadline = deadline
        return (id, true)
    }

    /// Keeps `timer`, armed for `deadline`, as the call timer unless an earlier one was asked for since;
    /// returns the timer to cancel (the one replaced, or `timer` itself).
    mutating func setCallTimer(_ timer: SocketTimer, for deadline: ContinuousClock.Instant) -> SocketTimer? {
        guard callTimerDeadline == deadline, !closed else { return timer }
        defer { callTimer = timer }
        return callTimer
    }

    /// The call timer fired: the calls past their deadline (their waiters, or marked timed out for the
    /// waiter still to come), and the next deadline to arm for.
    mutating func expireCalls(at now: ContinuousClock.Instant) -> (expired: [(Waiter, TalkError)], next: ContinuousClock.Instant?) {
        callTimer = nil
        callTimerDeadline = nil
        var expired: [(Waiter, TalkError)] = []
        var next: ContinuousClock.Instant?
        for (id, entry) in outbound {
            guard case .call(var call) = entry, call.outcome == nil else { continue }
            guard call.deadline <= now else {
                next = next.map { min($0, call.deadline) } ?? call.deadline
                continue
            }
            let error = TalkError(.timedOut, "no reply to \(call.operation) in time")
            if let waiter = call.waiter {
                outbound[id] = nil
                expired.append((waiter, error))
            } else {
                call.outcome = .failure(error)
                outbound[id] = .call(call)
            }
        }
        if !closed { callTimerDeadline = next }
        return (expired, closed ? nil : next)
    }

    /// Records the pipe a call went out on; `false` when that pipe is gone already.
    mutating func sent(_ id: UInt32, on pipeID: UInt32?) -> Bool {
        guard let pipeID else { return true }
        switch outbound[id] {
        case .call(var call):
            call.pipeID = pipeID
            outbound[id] = .call(call)
        case .stream(let stream, _): outbound[id] = .stream(stream, pipeID: pipeID)
        case nil: return true
        }
        return peers[pipeID] != nil
    }

    /// The pipe a queued to-one message must go out on: the only pipe there is, or `nil` when there are
    /// several (or none) and any of them may take it.
    var onlyPipe: UInt32? {
        var found: UInt32?
        for (id, peer) in peers where peer.pipe != nil {
            if found != nil { return nil }
            found = id
        }
        return found
    }

    /// An outcome for call `id`: the waiter to resume, or `nil` (no such call, or the outcome is kept for
    /// the waiter still to come). `false` in `known` means the id was unknown.
    mutating func complete(_ id: UInt32, _ outcome: Result<[UInt8], TalkError>) -> (known: Bool, waiter: Waiter?) {
        guard case .call(var call) = outbound[id] else { return (false, nil) }
        guard call.outcome == nil else { return (true, nil) }
        if let waiter = call.waiter {
            outbound[id] = nil
            return (true, waiter)
        }
        call.outcome = outcome
        outbound[id] = .call(call)
        return (true, nil)
    }

    enum Wait {
        case outcome(Result<[UInt8], TalkError>)
        case suspended
    }

    mutating func wait(_ id: UInt32, _ waiter: Waiter) -> Wait {
        guard case .call(var call) = outbound[id] else {
            return .outcome(.failure(TalkError(.closed, "talk peer closed")))
        }
        if let outcome = call.outcome {
            outbound[id] = nil
            return .outcome(outcome)
        }
        call.waiter = waiter
        outbound[id] = .call(call)
        return .suspended
    }

    /// Gives up call `id`: its waiter and pipe (to tell the peer).
    mutating func abandon(_ id: UInt32) -> (Waiter?, UInt32?)? {
        guard case .call(let call) = outbound.removeValue(forKey: id) else { return nil }
        return (call.waiter, call.pipeID)
    }

    // MARK: Handling

    enum Admission {
        case admitted
        case limited
        case duplicate
    }

    /// Admits a call (or stream) from `key` unless its pipe is at its limit.
    mutating func admit(_ key: InboundKey, stream: Bool, limit: Int) -> Admission {
        if inbound[key] != nil { return .duplicate }
        let pipeID = key.path.first ?? 0
        var peer = peers[pipeID] ?? Peer()
        if stream ? peer.streams >= limit : peer.requests >= limit {
            statistics.limitedCalls += 1
            return .limited
        }
        if stream { peer.streams += 1 } else { peer.requests += 1 }
        peers[pipeID] = peer
        inbound[key] = Inbound()
        return .admitted
    }

    /// Stores the task handling `key`; `true` when it must be cancelled at once.
    mutating func attach(_ task: Task<Void, Never>, stream: TalkStream?, to key: InboundKey) -> Bool {
        guard var entry = inbound[key] else { return false }
        entry.task = task
        entry.stream = stream
        inbound[key] = entry
        return entry.cancelled
    }

    /// The handler of `key` finished.
    mutating func finished(_ key: InboundKey, stream: Bool) {
        guard inbound.removeValue(forKey: key) != nil, let pipeID = key.path.first,
              var peer = peers[pipeID] else { return }
        if stream { peer.streams -= 1 } else { peer.requests -= 1 }
        peers[pipeID] = peer
    }

    /// The caller cancelled `key`: the task to cancel (or `nil`, marked to cancel when attached).
    mutating func cancelInbound(_ key: InboundKey) -> (Task<Void, Never>?, TalkStream?)? {
        guard var entry = inbound[key] else { return nil }
        entry.cancelled = true
        inbound[key] = entry
        return (entry.task, entry.stream)
    }

    // MARK: Pipes

    mutating func heard(_ pipeID: UInt32) {
        if peers[pipeID] == nil {
            peers[pipeID] = Peer()
        } else {
            peers[pipeID]!.silentTicks = 0
        }
    }

    /// A new pipe. When it is the only one, the calls and streams that went into the socket's queue with
    /// no pipe to take them are its: the queue can only drain to it.
    mutating func added(_ pipe: MessagePipe) {
        var peer = peers[pipe.id] ?? Peer()
        peer.pipe = pipe
        peer.silentTicks = 0
        peers[pipe.id] = peer
        guard onlyPipe == pipe.id else { return }
        for (id, entry) in outbound {
            switch entry {
            case .call(var call) where call.pipeID == nil && call.outcome == nil:
                call.pipeID = pipe.id
                outbound[id] = .call(call)
            case .stream(let stream, nil): outbound[id] = .stream(stream, pipeID: pipe.id)
            default: break
            }
        }
    }

    struct Loss {
        var calls: [Waiter] = []
        var streams: [TalkStream] = []
        var tasks: [Task<Void, Never>] = []
        var handledStreams: [TalkStream] = []
        var error: TalkError
    }

    /// `pipeID` is gone: its calls and streams fail (with the refusal recorded for it, or `peerLost`) and
    /// the handlers of its calls are cancelled.
    mutating func removed(_ pipeID: UInt32) -> Loss {
        let refusal = peers.removeValue(forKey: pipeID)?.refusal
        var loss = Loss(error: refusal ?? TalkError(.peerLost, "pipe \(pipeID) to the peer was removed"))
        for (id, entry) in outbound {
            switch entry {
            case .call(var call) where call.pipeID == pipeID:
                if let waiter = call.waiter {
                    outbound[id] = nil
                    loss.calls.append(waiter)
                } else if call.outcome == nil {
                    call.outcome = .failure(loss.error)
                    outbound[id] = .call(call)
                }
            case .stream(let stream, let streamPipe) where streamPipe == pipeID:
                outbound[id] = nil
                loss.streams.append(stream)
            default: break
            }
        }
        for (key, entry) in inbound where key.path.first == pipeID {
            inbound[key]?.cancelled = true
            if let task = entry.task { loss.tasks.append(task) }
            if let stream = entry.stream { loss.handledStreams.append(stream) }
        }
        return loss
    }

    /// Closes the state: every call and stream to fail, every handler task to cancel.
    mutating func close() -> (calls: [Waiter], streams: [TalkStream], tasks: [Task<Void, Never>],
                              timers: [SocketTimer]) {
        closed = true
        var calls: [Waiter] = []
        var streams: [TalkStream] = []
        for entry in outbound.values {
            switch entry {
            case .call(let call): if let waiter = call.waiter { calls.append(waiter) }
            case .stream(let stream, _): streams.append(stream)
            }
        }
        outbound = [:]
        let tasks = inbound.values.compactMap(\.task)
        streams += inbound.values.compactMap(\.stream)
        let timers = [heartbeatTimer, callTimer].compactMap { $0 }
        heartbeatTimer = nil
        callTimer = nil
        callTimerDeadline = nil
        return (calls, streams, tasks, timers)
    }
}
