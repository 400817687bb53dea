@_spi(Internals) import MultiSocketConnector

/// A Talk peer's shared state: its own calls and streams (by id), the calls it is handling (by caller
/// path and id), and what it knows of each pipe. Lives in ``Talk``'s lock; methods are transitions that
/// return what to do after the lock.
struct TalkState {
    typealias Waiter = UnsafeContinuation<[UInt8], any Error>

    struct Call {
        var waiter: Waiter?
        var outcome: Result<[UInt8], TalkError>?
        var pipeID: UInt32?
        var timer: SocketTimer?
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
        var lastHeard: ContinuousClock.Instant
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
    /// When the last heartbeat tick ran (`nil` before the first).
    var lastTick: ContinuousClock.Instant?
    var statistics = TalkStatistics()

    init(seed: UInt32) { nextID = seed }

    mutating func makeID() throws(TalkError) -> UInt32 {
        if closed { throw TalkError(.closed, "talk peer closed") }
        repeat { nextID &+= 1 } while nextID == 0 || outbound[nextID] != nil
        return nextID
    }

    // MARK: Calls

    mutating func registerCall() throws(TalkError) -> UInt32 {
        let id = try makeID()
        outbound[id] = .call(Call())
        return id
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

    /// Attaches a call's timer; `false` when the call is over already (cancel the timer).
    mutating func attach(_ timer: SocketTimer, to id: UInt32) -> Bool {
        guard case .call(var call) = outbound[id] else { return false }
        call.timer = timer
        outbound[id] = .call(call)
        return true
    }

    /// An outcome for call `id`: the waiter to resume and the timer to cancel, or `nil` (no such call, or
    /// the outcome is kept for the waiter still to come). `false` in `known` means the id was unknown.
    mutating func complete(_ id: UInt32, _ outcome: Result<[UInt8], TalkError>)
        -> (known: Bool, waiter: Waiter?, timer: SocketTimer?)
    {
        guard case .call(var call) = outbound[id] else { return (false, nil, nil) }
        guard call.outcome == nil else { return (true, nil, nil) }
        if let waiter = call.waiter {
            outbound[id] = nil
            return (true, waiter, call.timer)
        }
        call.outcome = outcome
        outbound[id] = .call(call)
        return (true, nil, nil)
    }

    enum Wait {
        case outcome(Result<[UInt8], TalkError>, SocketTimer?)
        case suspended
    }

    mutating func wait(_ id: UInt32, _ waiter: Waiter) -> Wait {
        guard case .call(var call) = outbound[id] else {
            return .outcome(.failure(TalkError(.closed, "talk peer closed")), nil)
        }
        if let outcome = call.outcome {
            outbound[id] = nil
            return .outcome(outcome, call.timer)
        }
        call.waiter = waiter
        outbound[id] = .call(call)
        return .suspended
    }

    /// Gives up call `id`: its waiter, timer and pipe (to tell the peer).
    mutating func abandon(_ id: UInt32) -> (Waiter?, SocketTimer?, UInt32?)? {
        guard case .call(let call) = outbound.removeValue(forKey: id) else { return nil }
        return (call.waiter, call.timer, call.pipeID)
    }

    // MARK: Handling

    enum Admission {
        case admitted
        case limited
        case duplicate
    }

    /// Admits a call (or stream) from `key` unless its pipe is at its limit.
    mutating func admit(_ key: InboundKey, stream: Bool, limit: Int, now: ContinuousClock.Instant) -> Admission {
        if inbound[key] != nil { return .duplicate }
        let pipeID = key.path.first ?? 0
        var peer = peers[pipeID] ?? Peer(lastHeard: now)
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

    mutating func heard(_ pipeID: UInt32, at now: ContinuousClock.Instant) {
        if peers[pipeID] == nil {
            peers[pipeID] = Peer(lastHeard: now)
        } else {
            peers[pipeID]!.lastHeard = now
        }
    }

    /// A new pipe. When it is the only one, the calls and streams that went into the socket's queue with
    /// no pipe to take them are its: the queue can only drain to it.
    mutating func added(_ pipe: MessagePipe, at now: ContinuousClock.Instant) {
        var peer = peers[pipe.id] ?? Peer(lastHeard: now)
        peer.pipe = pipe
        peer.lastHeard = now
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
        var calls: [(Waiter, SocketTimer?)] = []
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
                    loss.calls.append((waiter, call.timer))
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
    mutating func close() -> (calls: [(Waiter, SocketTimer?)], streams: [TalkStream], tasks: [Task<Void, Never>],
                              timer: SocketTimer?) {
        closed = true
        var calls: [(Waiter, SocketTimer?)] = []
        var streams: [TalkStream] = []
        for entry in outbound.values {
            switch entry {
            case .call(let call): if let waiter = call.waiter { calls.append((waiter, call.timer)) }
            case .stream(let stream, _): streams.append(stream)
            }
        }
        outbound = [:]
        let tasks = inbound.values.compactMap(\.task)
        streams += inbound.values.compactMap(\.stream)
        let timer = heartbeatTimer
        heartbeatTimer = nil
        return (calls, streams, tasks, timer)
    }
}
