@_spi(Internals) import MultiSocketConnector

/// A stream endpoint's engine: the stream and listener tables, the dispatcher that reads the socket and
/// routes frames, the keep-alive timer and the pipe observer. ``StreamEndpoint`` is its public face.
final class EndpointCore: PipeObserver, Sendable {
    /// What the endpoint dropped or refused, by cause.
    enum Counter: Sendable { case malformed, unknownStream, protocolViolation, refused }

    struct Entry: Sendable {
        let core: StreamCore
        /// The pipe the peer's path starts with, once known.
        var pipeID: UInt32?
    }

    struct State: Sendable {
        var streams: [UInt32: Entry] = [:]
        var listeners: [String: ListenerCore] = [:]
        var rawListener: ListenerCore?
        /// Raw pipes by id, and the stream each one carries.
        var rawPipes: [UInt32: MessagePipe] = [:]
        var rawStreams: [UInt32: UInt32] = [:]
        var lastID: UInt32 = 0
        var closed = false
        var dispatcher: Task<Void, Never>?
        var ticker: SocketTimer?
        var counters: [Counter: Int] = [:]
    }

    let socket: Socket
    let options: StreamOptions
    let state = Locked(State())

    init(socket: Socket, options: StreamOptions) {
        self.socket = socket
        self.options = options
    }

    /// Starts the dispatcher task and the keep-alive timer.
    func start() {
        socket.addPipeObserver(self)
        let task = Task { await self.dispatch() }
        state.withLock { $0.dispatcher = task }
        scheduleTick()
    }

    // MARK: Tables

    /// A fresh stream id, nonzero and not in use.
    private func allocateID(_ state: inout State) -> UInt32 {
        repeat {
            state.lastID = state.lastID == UInt32.max ? 1 : state.lastID + 1
        } while state.streams[state.lastID] != nil
        return state.lastID
    }

    /// Makes and registers a stream; `nil` once the endpoint closed.
    func makeStream(phase: StreamCoreState.Phase, isRaw: Bool = false, pipeID: UInt32? = nil) -> StreamCore? {
        state.withLock { state -> StreamCore? in
            guard !state.closed else { return nil }
            let id = allocateID(&state)
            let core = StreamCore(localID: id, endpoint: self, phase: phase, isRaw: isRaw)
            state.streams[id] = Entry(core: core, pipeID: pipeID)
            if isRaw, let pipeID { state.rawStreams[pipeID] = id }
            return core
        }
    }

    /// Removes a stream from the tables; idempotent.
    func unregister(_ id: UInt32) {
        state.withLock { state in
            guard let entry = state.streams.removeValue(forKey: id) else { return }
            if entry.core.isRaw, let pipeID = entry.pipeID { state.rawStreams.removeValue(forKey: pipeID) }
        }
    }

    /// Records the pipe a stream's peer is reached by.
    func setPipe(_ id: UInt32, _ pipeID: UInt32?) {
        state.withLock { $0.streams[id]?.pipeID = pipeID }
    }

    func count(_ counter: Counter) {
        state.withLock { $0.counters[counter, default: 0] += 1 }
    }

    /// Closes a raw pipe (its stream ended here) once what was sent to it is written: closing a link drops
    /// the output it still queues, so the pipe's queue is looked at every 5 ms (for at most 5 s) first.
    func closeRawPipe(_ pipeID: UInt32?) {
        guard let pipeID else { return }
        let pipe = state.withLock { state -> MessagePipe? in
            state.rawStreams.removeValue(forKey: pipeID)
            return state.rawPipes.removeValue(forKey: pipeID)
        }
        if let pipe { closeWhenWritten(pipe, looksLeft: 1000) }
    }

    private func closeWhenWritten(_ pipe: MessagePipe, looksLeft: Int) {
        pipe.link.footprint { [socket] _, output in
            if output == 0 || looksLeft == 0 {
                pipe.close()
            } else {
                socket.schedule(after: .milliseconds(5)) { self.closeWhenWritten(pipe, looksLeft: looksLeft - 1) }
            }
        }
    }

    /// Registers a listener.
    func listen(_ name: String) throws(StreamError) -> ListenerCore {
        guard name.utf8.count <= StreamFrame.maxNameLength else {
            throw StreamError(.invalidArgument, "a listener name is at most \(StreamFrame.maxNameLength) bytes")
        }
        let listener = ListenerCore(name: name, capacity: options.acceptQueue)
        try state.withLock { state throws(StreamError) in
            if state.closed { throw StreamError(.connectionClosed, "the endpoint was closed") }
            if state.listeners[name] != nil { throw StreamError(.addressInUse, "a listener named '\(name)' exists") }
            state.listeners[name] = listener
        }
        return listener
    }

    /// Registers the raw listener.
    func listenRaw() throws(StreamError) -> ListenerCore {
        let listener = ListenerCore(name: "", capacity: options.acceptQueue)
        try state.withLock { state throws(StreamError) in
            if state.closed { throw StreamError(.connectionClosed, "the endpoint was closed") }
            if state.rawListener != nil { throw StreamError(.addressInUse, "the raw listener exists") }
            state.rawListener = listener
        }
        return listener
    }

    /// Removes a listener and refuses what it had queued.
    func closeListener(_ listener: ListenerCore) {
        state.withLock { state in
            if state.listeners[listener.name] === listener { state.listeners.removeValue(forKey: listener.name) }
            if state.rawListener === listener { state.rawListener = nil }
        }
        for core in listener.close(socket: socket) { core.abandon() }
    }

    private func refuse(_ peerID: UInt32, _ path: MessagePath, _ reason: StreamFrame.RefuseReason) {
        count(.refused)
        _ = try? socket.trySendTo(path, StreamFrame.encode(.refuse, destination: peerID, source: 0,
                                                           payload: [reason.rawValue]))
    }

    // MARK: Connecting and accepting

    /// Connects to the listener `name` on the peer a to-one send reaches; completes on its acknowledgement.
    func connect(_ name: String, timeout: Duration?) async throws -> StreamCore {
        guard name.utf8.count <= StreamFrame.maxNameLength else {
            throw StreamError(.invalidArgument, "a listener name is at most \(StreamFrame.maxNameLength) bytes")
        }
        guard let core = makeStream(phase: .connecting) else {
            throw StreamError(.connectionClosed, "the endpoint was closed")
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        do {
            var payload = StreamFrame.bytes(UInt32(clamping: options.window))
            payload.append(contentsOf: name.utf8)
            try await socket.send(StreamFrame.encode(.connect, destination: 0, source: core.localID, payload: payload))
            try await waitUntil(core.state, .connect, socket: socket, deadline: deadline,
                                timeout: StreamError(.connectionTimedOut, "no answer to the connect to '\(name)'")) {
                $0.phase == .open || $0.refusal != nil
            }
        } catch {
            unregister(core.localID)
            throw error
        }
        if let refusal = core.state.withLock({ $0.refusal }) {
            unregister(core.localID)
            throw refusal
        }
        return core
    }

    /// Takes the next stream of `listener` (acknowledged when it was queued).
    func accept(_ listener: ListenerCore, deadline: ContinuousClock.Instant?) async throws -> StreamCore {
        try await listener.take(socket: socket, deadline: deadline)
    }

    // MARK: Dispatching

    private func dispatch() async {
        while true {
            let message: Message
            do {
                message = try await socket.receive()
            } catch {
                failAll(StreamError(.connectionClosed, "the endpoint's socket closed"))
                return
            }
            if message.flags.contains(.raw) {
                await dispatchRaw(message)
            } else {
                await dispatch(message)
            }
        }
    }

    private func dispatch(_ message: Message) async {
        guard message.kind == .data, let frame = StreamFrame(message.content) else {
            count(.malformed)
            return
        }
        switch frame.kind {
        case .connect:
            guard let window = frame.leadingU32, window > 0, frame.source != 0,
                  frame.payload.count - 4 <= StreamFrame.maxNameLength
            else {
                count(.malformed)
                if frame.source != 0 { refuse(frame.source, message.source, .malformed) }
                return
            }
            let name = String(decoding: frame.payload.dropFirst(4), as: UTF8.self)
            let listener = state.withLock { state -> ListenerCore?? in
                state.closed ? .some(nil) : state.listeners[name].map { .some($0) } ?? nil
            }
            switch listener {
            case .none: refuse(frame.source, message.source, .noListener)
            case .some(.none): refuse(frame.source, message.source, .closing)
            case .some(.some(let listener)):
                await admit(frame.source, path: message.source, window: Int(window), to: listener)
            }
        case .refuse:
            guard let core = stream(frame.destination) else { return }
            let error = switch StreamFrame.RefuseReason(rawValue: frame.payload.first ?? 0) {
            case .queueFull: StreamError(.listenQueueFull, "the listener's queue is full")
            case .closing: StreamError(.connectionRefused, "the listener is closing")
            case .malformed: StreamError(.connectionRefused, "the peer could not read the connect")
            case .noListener, .none: StreamError(.connectionRefused, "no listener has that name")
            }
            core.refused(error)
        case .accept:
            guard let core = stream(frame.destination), core.state.withLock({ $0.phase == .connecting }),
                  let window = frame.leadingU32, window > 0, frame.source != 0
            else {
                replyUnknown(frame, message.source)
                return
            }
            setPipe(core.localID, message.source.first)
            core.open(peerID: frame.source, path: message.source, credit: Int(window))
        case .close:
            stream(frame.destination)?.receive(frame, from: message.source)
        default:
            guard let core = stream(frame.destination) else {
                replyUnknown(frame, message.source)
                return
            }
            core.receive(frame, from: message.source)
        }
    }

    /// Opens a stream for a connect, queues it on `listener` and acknowledges it (as TCP completes a
    /// connect once the listen queue holds it), or refuses it when the queue is full. The acknowledgement
    /// goes without waiting when the pipe takes it; otherwise the dispatcher waits for room.
    private func admit(_ peerID: UInt32, path: MessagePath, window: Int, to listener: ListenerCore) async {
        guard let core = makeStream(phase: .open, pipeID: path.first) else {
            refuse(peerID, path, .closing)
            return
        }
        core.open(peerID: peerID, path: path, credit: window)
        if let reason = listener.offer(core, socket: socket) {
            unregister(core.localID)
            refuse(peerID, path, reason)
            return
        }
        let ack = StreamFrame.encode(.accept, destination: peerID, source: core.localID,
                                     payload: StreamFrame.bytes(UInt32(clamping: options.window)))
        if case .sent = (try? socket.trySendTo(path, ack)) ?? .noPeer { return }
        do {
            try await socket.sendTo(path, ack)
        } catch {
            core.fail(StreamError(.connectionReset, "the connector's link went away"))
        }
    }

    /// Tells the sender of a frame for a stream this endpoint does not have that the stream is gone.
    private func replyUnknown(_ frame: StreamFrame, _ path: MessagePath) {
        count(.unknownStream)
        guard frame.source != 0 else { return }
        _ = try? socket.trySendTo(path, StreamFrame.encode(.close, destination: frame.source, source: frame.destination,
                                                           payload: [StreamFrame.CloseReason.unknownStream.rawValue]))
    }

    private func stream(_ id: UInt32) -> StreamCore? {
        state.withLock { $0.streams[id]?.core }
    }

    private func dispatchRaw(_ message: Message) async {
        guard let pipeID = message.pipeID else { return }
        switch message.kind {
        case .connected:
            let listener = state.withLock { $0.rawListener }
            guard let listener, let core = makeStream(phase: .open, isRaw: true, pipeID: pipeID) else {
                closeRawPipe(pipeID)
                return
            }
            core.open(peerID: 0, path: [pipeID], credit: Int.max)
            if listener.offer(core, socket: socket) != nil {
                count(.refused)
                core.abandon()
            }
        case .data:
            guard let core = rawStream(pipeID) else { return }
            try? await core.waitForRoom()
            core.receiveRaw(message.content)
        case .endOfStream:
            rawStream(pipeID)?.rawEndOfStream()
        }
    }

    private func rawStream(_ pipeID: UInt32) -> StreamCore? {
        state.withLock { state in state.rawStreams[pipeID].flatMap { state.streams[$0]?.core } }
    }

    // MARK: Pipes

    /// Remembers raw pipes, to close them when their stream ends. On the socket's I/O thread.
    func pipeAdded(_ pipe: MessagePipe) {
        guard pipe.isRaw else { return }
        state.withLock { $0.rawPipes[pipe.id] = pipe }
    }

    /// Ends every stream whose peer was reached through `pipe`. On the socket's I/O thread.
    func pipeRemoved(_ pipe: MessagePipe) {
        let gone = state.withLock { state -> [StreamCore] in
            state.rawPipes.removeValue(forKey: pipe.id)
            return state.streams.values.filter { $0.pipeID == pipe.id }.map(\.core)
        }
        for core in gone {
            if core.isRaw {
                core.rawPipeGone()
            } else {
                core.fail(StreamError(.connectionReset, "the link to the peer went away"))
            }
        }
    }

    // MARK: Keep-alive

    private func scheduleTick() {
        guard let interval = options.keepAliveInterval else { return }
        let timer = socket.schedule(after: interval) { [weak self] in self?.tick(interval) }
        state.withLock { state in
            if !state.closed { state.ticker = timer }
        }
    }

    private func tick(_ interval: Duration) {
        let cores = state.withLock { state -> [StreamCore]? in
            state.closed ? nil : state.streams.values.map(\.core)
        }
        guard let cores else { return }
        for core in cores { core.keepAliveTick(interval: interval, probes: options.keepAliveProbes) }
        scheduleTick()
    }

    // MARK: Closing

    private func failAll(_ error: StreamError) {
        let cores = state.withLock { Array($0.streams.values.map(\.core)) }
        for core in cores { core.fail(error) }
    }

    /// Closes every listener and stream (peers are told), stops the dispatcher and the timer.
    func close() async {
        let step = state.withLock { state -> (listeners: [ListenerCore], cores: [StreamCore], task: Task<Void, Never>?, ticker: SocketTimer?)? in
            if state.closed { return nil }
            state.closed = true
            var listeners = Array(state.listeners.values)
            if let raw = state.rawListener { listeners.append(raw) }
            return (listeners, state.streams.values.map(\.core), state.dispatcher, state.ticker)
        }
        guard let step else { return }
        if let ticker = step.ticker { socket.cancel(ticker) }
        for listener in step.listeners { closeListener(listener) }
        for core in step.cores { await core.close(waiting: false) }
        step.task?.cancel()
        await step.task?.value
        socket.removePipeObserver(self)
        failAll(StreamError(.connectionClosed, "the endpoint was closed"))
    }

    /// Streams in the table (queued ones included), streams queued in listeners, and raw pipes with a stream:
    /// what the leak tests expect to return to 0.
    var tableCounts: (streams: Int, queued: Int, rawPipes: Int) {
        let (streams, listeners, rawPipes) = state.withLock { state in
            (state.streams.count, Array(state.listeners.values) + (state.rawListener.map { [$0] } ?? []),
             state.rawStreams.count)
        }
        return (streams, listeners.reduce(0) { $0 + $1.pendingCount }, rawPipes)
    }

    var counters: [Counter: Int] { state.withLock { $0.counters } }
}
