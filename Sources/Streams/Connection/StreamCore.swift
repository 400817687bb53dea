@_spi(Internals) import MultiSocketConnector

/// One stream's engine: its state behind a lock, the operations a ``StreamConnection`` exposes, and what the
/// endpoint's dispatcher and keep-alive timer feed it. Waiters are resumed after the lock; sends happen on the
/// calling task (reads and writes) or, never waiting, on the dispatcher (`trySendTo`).
final class StreamCore: Sendable {
    let localID: UInt32
    /// A raw peer (plain bytes over one raw pipe): no frames, no credit, no keep-alive.
    let isRaw: Bool
    let endpoint: EndpointCore
    let state: Locked<StreamCoreState>

    var socket: Socket { endpoint.socket }
    var options: StreamOptions { endpoint.options }

    init(localID: UInt32, endpoint: EndpointCore, phase: StreamCoreState.Phase, isRaw: Bool) {
        self.localID = localID
        self.endpoint = endpoint
        self.isRaw = isRaw
        state = Locked(StreamCoreState(phase: phase))
    }

    /// Opens the stream toward a peer (an accepted connect, an acknowledgement, or a raw pipe).
    func open(peerID: UInt32, path: MessagePath, credit: Int) {
        let entries = state.withLock { state -> [WaiterTable.Entry] in
            state.phase = .open
            state.peerID = peerID
            state.peerPath = path
            state.credit = credit
            state.lastHeard = .now
            return state.waiters.removeAll([.connect])
        }
        resume(entries, on: socket)
    }

    // MARK: Reading

    enum ReadStep {
        case bytes([UInt8], credit: UInt32?, path: MessagePath, peerID: UInt32)
        case end
        case fail(StreamError)
        case wait(ContinuousClock.Instant?)
    }

    /// Up to `maximum` bytes, `nil` at end of stream. Waits for data on the calling task.
    func read(upTo maximum: Int) async throws -> [UInt8]? {
        let maximum = max(1, maximum)
        while true {
            let threshold = max(1, options.window / 4)
            let raw = isRaw
            let (step, roomWaiters) = state.withLock { state -> (ReadStep, [WaiterTable.Entry]) in
                if state.closedHere { return (.fail(StreamError(.connectionClosed, "the stream was closed")), []) }
                if state.buffered > 0 && !state.readClosed {
                    let bytes = state.take(maximum)
                    if raw { return (.bytes(bytes, credit: nil, path: [], peerID: 0), state.waiters.removeAll([.room])) }
                    state.unacked += bytes.count
                    var credit: UInt32?
                    if state.unacked >= threshold && !state.readEnded && state.failure == nil {
                        credit = UInt32(state.unacked)
                        state.unacked = 0
                    }
                    return (.bytes(bytes, credit: credit, path: state.peerPath, peerID: state.peerID), [])
                }
                if state.readClosed || state.readEnded { return (.end, []) }
                if let failure = state.failure { return (.fail(failure), []) }
                return (.wait(state.readDeadline), [])
            }
            resume(roomWaiters, on: socket)
            switch step {
            case .bytes(let bytes, let credit, let path, let peerID):
                if let credit {
                    let frame = StreamFrame.encode(.credit, destination: peerID, source: localID,
                                                   payload: StreamFrame.bytes(credit))
                    try? await socket.sendTo(path, frame)
                }
                return bytes
            case .end: return nil
            case .fail(let error): throw error
            case .wait(let deadline):
                try await waitUntil(state, .read, socket: socket, deadline: deadline,
                                    timeout: StreamError(.readTimeout, "read deadline passed")) { $0.readable }
            }
        }
    }

    /// Waits (the dispatcher, for a raw peer only) until the buffer has room or the stream ended.
    func waitForRoom() async throws {
        let window = options.window
        try await waitUntil(state, .room, socket: socket, deadline: nil, timeout: StreamError(.readTimeout, "")) {
            $0.buffered < window || $0.failure != nil || $0.readClosed
        }
    }

    /// Stops reading: buffered and later data is discarded (and credited back, so the peer's writer does
    /// not stall); reads return end of stream.
    func closeRead() {
        let (credit, path, peerID, entries) = state.withLock { state in
            let dropped = state.discardBuffer()
            state.readClosed = true
            let credit = state.unacked + dropped
            state.unacked = 0
            return (credit, state.peerPath, state.peerID, state.waiters.removeAll([.read, .room]))
        }
        resume(entries, on: socket)
        if credit > 0 && !isRaw { sendCredit(credit, path: path, peerID: peerID) }
    }

    // MARK: Writing

    enum WriteStep {
        case send(count: Int, path: MessagePath, peerID: UInt32)
        case fail(StreamError)
        case wait(ContinuousClock.Instant?)
    }

    /// Sends `bytes` in chunks, each once the peer gave credit for it.
    func write(_ bytes: [UInt8]) async throws {
        var start = 0
        let chunkSize = options.chunkSize
        while start < bytes.count {
            let remaining = bytes.count - start
            let raw = isRaw
            let step = state.withLock { state -> WriteStep in
                if let failure = state.failure { return .fail(failure) }
                if state.writeClosed { return .fail(StreamError(.connectionClosed, "the write side was closed")) }
                if state.peerClosed { return .fail(StreamError(.connectionClosed, "the peer closed the stream")) }
                guard state.credit > 0 else { return .wait(state.writeDeadline) }
                let count = min(remaining, chunkSize, state.credit)
                if !raw { state.credit -= count }
                return .send(count: count, path: state.peerPath, peerID: state.peerID)
            }
            switch step {
            case .fail(let error): throw error
            case .wait(let deadline):
                try await waitUntil(state, .write, socket: socket, deadline: deadline,
                                    timeout: StreamError(.writeTimeout, "write deadline passed")) { $0.writable }
            case .send(let count, let path, let peerID):
                let slice = bytes[start..<start + count]
                let content = isRaw ? Array(slice)
                    : StreamFrame.encode(.data, destination: peerID, source: localID, payload: slice)
                do {
                    try await socket.sendTo(path, content)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    let failure = StreamError(.connectionReset, "the path to the peer broke: \(error)")
                    fail(failure)
                    throw failure
                }
                start += count
            }
        }
    }

    /// Half-closes: tells the peer no more bytes come (a raw peer's connection is closed instead).
    func closeWrite() async throws {
        let step = state.withLock { state -> (path: MessagePath, peerID: UInt32, bothDone: Bool)? in
            if state.writeClosed || state.failure != nil || state.peerClosed { return nil }
            state.writeClosed = true
            return (state.peerPath, state.peerID, state.readEnded)
        }
        guard let step else { return }
        if isRaw {
            endpoint.closeRawPipe(step.path.first)
            endpoint.unregister(localID)
            return
        }
        try await socket.sendTo(step.path, StreamFrame.encode(.closeWrite, destination: step.peerID, source: localID))
        if step.bothDone { endpoint.unregister(localID) }
    }

    // MARK: Closing

    /// Closes both ways: the peer is told (a raw peer's connection is closed), the stream leaves the table,
    /// pending operations end with `connectionClosed`. `wait`: send the notice with waiting (a task) or
    /// only if it goes at once (a deinit).
    func close(waiting: Bool) async {
        let step = state.withLock { state -> (notify: Bool, path: MessagePath, peerID: UInt32, entries: [WaiterTable.Entry])? in
            if state.closedHere { return nil }
            state.closedHere = true
            let notify = state.phase == .open && !state.peerClosed && state.failure == nil
            state.failure = StreamError(.connectionClosed, "the stream was closed")
            state.writeClosed = true
            state.readClosed = true
            _ = state.discardBuffer()
            return (notify, state.peerPath, state.peerID, state.waiters.removeAll())
        }
        guard let step else { return }
        endpoint.unregister(localID)
        resume(step.entries, on: socket, throwing: StreamError(.connectionClosed, "the stream was closed"))
        guard step.notify else { return }
        if isRaw {
            endpoint.closeRawPipe(step.path.first)
            return
        }
        let frame = StreamFrame.encode(.close, destination: step.peerID, source: localID,
                                       payload: [StreamFrame.CloseReason.normal.rawValue])
        if waiting { try? await socket.sendTo(step.path, frame) } else { _ = try? socket.trySendTo(step.path, frame) }
    }

    /// Closes without waiting (what a dropped connection does).
    func abandon() {
        let step = state.withLock { state -> (path: MessagePath, peerID: UInt32)? in
            if state.closedHere { return nil }
            state.closedHere = true
            let notify = state.phase == .open && !state.peerClosed && state.failure == nil
            state.failure = StreamError(.connectionClosed, "the stream was closed")
            state.writeClosed = true
            state.readClosed = true
            _ = state.discardBuffer()
            return notify ? (state.peerPath, state.peerID) : nil
        }
        endpoint.unregister(localID)
        guard let step else { return }
        if isRaw {
            endpoint.closeRawPipe(step.path.first)
        } else {
            _ = try? socket.trySendTo(step.path, StreamFrame.encode(.close, destination: step.peerID, source: localID,
                                                                    payload: [StreamFrame.CloseReason.normal.rawValue]))
        }
    }

    /// Ends the stream with `error` (reads drain what is buffered first); the caller unregisters it or it
    /// is unregistered here.
    func fail(_ error: StreamError) {
        let entries = state.withLock { state -> [WaiterTable.Entry] in
            if state.failure == nil { state.failure = error }
            if state.phase == .connecting { state.refusal = state.refusal ?? error }
            return state.waiters.removeAll()
        }
        endpoint.unregister(localID)
        resume(entries, on: socket)
    }

    /// A raw peer's link went away: what was read stays readable, then end of stream; writes fail.
    func rawPipeGone() {
        let entries = state.withLock { state -> [WaiterTable.Entry] in
            state.readEnded = true
            state.peerClosed = true
            return state.waiters.removeAll()
        }
        endpoint.unregister(localID)
        resume(entries, on: socket)
    }

    // MARK: From the dispatcher

    /// The listener refused the connect.
    func refused(_ error: StreamError) {
        let entries = state.withLock { state -> [WaiterTable.Entry] in
            guard state.phase == .connecting else { return [] }
            state.refusal = error
            return state.waiters.removeAll([.connect])
        }
        resume(entries, on: socket)
    }

    /// What the dispatcher does after a frame.
    enum Reaction {
        case none
        case reply([UInt8], MessagePath)
        case violation(MessagePath, UInt32)
    }

    /// Takes a frame from the peer (never waits; the dispatcher sends the reaction with `trySendTo`).
    func receive(_ frame: StreamFrame, from path: MessagePath) {
        let window = options.window
        let localID = localID
        let (reaction, entries, unregister) = state.withLock { state -> (Reaction, [WaiterTable.Entry], Bool) in
            guard state.phase == .open, frame.source == state.peerID else { return (.none, [], false) }
            state.lastHeard = .now
            state.probes = 0
            switch frame.kind {
            case .data:
                if state.readEnded || state.failure != nil { return (.none, [], false) }
                let count = frame.payload.count
                if state.readClosed {
                    let reply = StreamFrame.encode(.credit, destination: state.peerID, source: localID,
                                                   payload: StreamFrame.bytes(UInt32(count)))
                    return (.reply(reply, state.peerPath), [], false)
                }
                if state.buffered + state.unacked + count > window {
                    state.failure = StreamError(.connectionReset, "the peer sent past its window")
                    return (.violation(state.peerPath, state.peerID), state.waiters.removeAll(), true)
                }
                state.append(Array(frame.payload))
                return (.none, state.waiters.removeAll([.read]), false)
            case .credit:
                guard let more = frame.leadingU32 else { return (.none, [], false) }
                state.credit = min(state.credit + Int(more), Int(UInt32.max))
                return (.none, state.waiters.removeAll([.write]), false)
            case .closeWrite:
                state.readEnded = true
                return (.none, state.waiters.removeAll([.read]), state.writeClosed)
            case .close:
                state.readEnded = true
                state.peerClosed = true
                if frame.payload.first != StreamFrame.CloseReason.normal.rawValue, state.failure == nil {
                    state.failure = StreamError(.connectionReset, "the peer reset the stream")
                }
                return (.none, state.waiters.removeAll(), true)
            case .keepAlive:
                let reply = StreamFrame.encode(.keepAliveAck, destination: state.peerID, source: localID)
                return (.reply(reply, state.peerPath), [], false)
            case .keepAliveAck, .connect, .accept, .refuse:
                return (.none, [], false)
            }
        }
        if unregister { endpoint.unregister(localID) }
        resume(entries, on: socket)
        switch reaction {
        case .none: break
        case .reply(let bytes, let path): _ = try? socket.trySendTo(path, bytes)
        case .violation(let path, let peerID):
            endpoint.count(.protocolViolation)
            _ = try? socket.trySendTo(path, StreamFrame.encode(.close, destination: peerID, source: localID,
                                                               payload: [StreamFrame.CloseReason.protocolViolation.rawValue]))
        }
    }

    /// Bytes from a raw peer (the dispatcher waited for room first).
    func receiveRaw(_ bytes: [UInt8]) {
        let entries = state.withLock { state -> [WaiterTable.Entry] in
            if state.readClosed || state.readEnded || state.failure != nil { return [] }
            state.append(bytes)
            return state.waiters.removeAll([.read])
        }
        resume(entries, on: socket)
    }

    /// A raw peer closed its sending side.
    func rawEndOfStream() {
        let entries = state.withLock { state -> [WaiterTable.Entry] in
            state.readEnded = true
            return state.waiters.removeAll([.read])
        }
        resume(entries, on: socket)
    }

    /// The keep-alive timer's look at the stream: probe it, declare it dead, or leave it.
    func keepAliveTick(interval: Duration, probes: Int) {
        guard !isRaw else { return }
        enum Tick { case none, probe(MessagePath, UInt32), dead(MessagePath, UInt32) }
        let tick = state.withLock { state -> Tick in
            guard state.phase == .open, state.failure == nil, !state.peerClosed else { return .none }
            guard ContinuousClock.now - state.lastHeard >= interval else { return .none }
            if state.probes >= probes { return .dead(state.peerPath, state.peerID) }
            state.probes += 1
            return .probe(state.peerPath, state.peerID)
        }
        switch tick {
        case .none: break
        case .probe(let path, let peerID):
            _ = try? socket.trySendTo(path, StreamFrame.encode(.keepAlive, destination: peerID, source: localID))
        case .dead(let path, let peerID):
            fail(StreamError(.keepAliveTimeout, "the peer answered none of \(probes) keep-alive probes"))
            _ = try? socket.trySendTo(path, StreamFrame.encode(.close, destination: peerID, source: localID,
                                                               payload: [StreamFrame.CloseReason.unknownStream.rawValue]))
        }
    }

    /// Sends credit without waiting (from `closeRead`, which may run on any thread); dropped if the pipe is full.
    private func sendCredit(_ count: Int, path: MessagePath, peerID: UInt32) {
        _ = try? socket.trySendTo(path, StreamFrame.encode(.credit, destination: peerID, source: localID,
                                                           payload: StreamFrame.bytes(UInt32(count))))
    }
}
