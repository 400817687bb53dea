/// Owns a socket's dialers, listeners and pipes: dials and listens on addresses, enforces the pipe limit,
/// and reports pipes coming and going to its handler.
///
/// At the limit, dialers pause and accepted connections wait unread in a backlog; when a pipe leaves,
/// the oldest waiting connection is admitted and dialers resume.
public final class Connector: Sendable {
    private struct Waiting {
        var link: any PipeLink
        var address: String
    }

    private struct State {
        var closed = false
        var accepting = true
        var pipes: [UInt32: MessagePipe] = [:]
        var adding = 0
        var dialers: [Dialer] = []
        var dialerOfPipe: [UInt32: Dialer] = [:]
        var listeners: [String: any TransportListener] = [:]
        var backlog = Ring<Waiting>()
        /// The settings, with the live pipe limit.
        var options: ConnectorOptions
        var handler: (any ConnectorHandler)?

        var atLimit: Bool {
            guard let limit = options.pipeLimit else { return false }
            return pipes.count + adding >= limit
        }
    }

    /// The connector's settings, with the live ``pipeLimit``.
    public var options: ConnectorOptions {
        state.withLock { $0.options }
    }
    /// How many messages each pipe's outbound queue holds (the owning socket's send queue size).
    private let pipeQueueSize: Int
    private let reactor: Reactor
    private let state: Locked<State>

    /// The SP protocol number an `sp+` endpoint announces when its options name none (the socket's identity).
    private let spProtocol: UInt16?

    package init(options: ConnectorOptions, pipeQueueSize: Int, reactor: Reactor = ReactorGroup.default.next(),
                 spProtocol: UInt16? = nil) {
        self.pipeQueueSize = pipeQueueSize
        self.spProtocol = spProtocol
        self.reactor = reactor
        self.state = Locked(State(options: options))
    }

    /// Sets the owner that vets and receives pipes: once before dialing or listening, and to `nil` after
    /// closing, which breaks the owner ↔ connector reference cycle.
    package func setHandler(_ handler: (any ConnectorHandler)?) {
        state.withLock { $0.handler = handler }
    }

    // MARK: Dial and listen

    /// Dials `address` and keeps the connection up, redialing with backoff whenever it is lost.
    ///
    /// The endpoint uses `options` (by default ``ConnectorOptions/endpoint``), with the address's query
    /// applied over them: `tcp://host:1234?raw=true` dials a raw peer whatever `options` say.
    /// With `waitForConnection` (the default) the first attempt completes before this returns, and its
    /// failure is thrown (the dialer is then discarded). Without it, the call returns at once and the
    /// dialer keeps trying in the background, reporting failures as events.
    /// Runs on the caller's task; cancellation does not interrupt the first attempt, which is short.
    /// - Throws: ``MultiSocketError`` with code `badAddress` (also a bad query option, or `raw` over
    ///   inproc), `unsupportedScheme`, `connectionRefused` (for ws also an HTTP 404: nobody listens at the
    ///   path), `addressInUse` (a dialer for this address exists), `closed`, and for ws `protocolMismatch` (a
    ///   handshake response that is not a valid upgrade to subprotocol `multisocket.binary`) or `timedOut`;
    ///   for `sp+` schemes `protocolMismatch` (not an SP peer, or one whose protocol does not fit), `timedOut`,
    ///   and `badAddress` when the endpoint names no SP protocol (no identity, no `spProtocol`).
    public func dial(_ address: String, options: EndpointOptions? = nil, waitForConnection: Bool = true) async throws {
        let endpoint = try resolve(address, options)
        let dialer = Dialer(text: address, address: endpoint.address, transport: endpoint.transport,
                            options: endpoint.options, reactor: reactor, connector: self)
        let paused = try state.withLock { state throws(MultiSocketError) -> Bool in
            if state.closed || !state.accepting { throw MultiSocketError(.closed, "connector closed") }
            if state.dialers.contains(where: { $0.text == address }) {
                throw MultiSocketError(.addressInUse, "already dialing \(address)")
            }
            state.dialers.append(dialer)
            return state.atLimit
        }
        if paused { dialer.pause() }
        guard waitForConnection else {
            dialer.attempt()
            return
        }
        let failure = await withCheckedContinuation { continuation in
            dialer.attempt { continuation.resume(returning: $0) }
        }
        if let failure {
            state.withLock { state in state.dialers.removeAll { $0 === dialer } }
            throw failure
        }
    }

    /// Stops the dialer for `address`; its pipe, if any, stays.
    public func stopDialing(_ address: String) {
        let removed = state.withLock { state -> [Dialer] in
            let removed = state.dialers.filter { $0.text == address }
            state.dialers.removeAll { $0.text == address }
            return removed
        }
        for dialer in removed { dialer.close() }
    }

    /// Listens on `address` and returns the address actually bound (a tcp or ws port 0 replaced by the real
    /// port; the query kept), ready to be dialed. ws listeners in one process share a host and port under
    /// different paths.
    ///
    /// The endpoint uses `options` (by default ``ConnectorOptions/endpoint``), with the address's query
    /// applied over them. Runs on the caller's thread; accepted connections arrive on the reactor thread, and
    /// each connection the listener drops because its handshake failed (tls+tcp, wss) is reported to the
    /// handler's `connectorRejectedHandshake(_:peer:error:)` (the socket emits `handshakeRejected`).
    /// - Throws: ``MultiSocketError`` with code `badAddress` (also a bad query option, or `raw` over
    ///   inproc), `unsupportedScheme`, `addressInUse` or `closed`.
    @discardableResult
    public func listen(_ address: String, options: EndpointOptions? = nil) throws -> Address {
        let endpoint = try resolve(address, options)
        if state.withLock({ $0.closed || !$0.accepting }) { throw MultiSocketError(.closed, "connector closed") }
        let listener = try endpoint.transport.listen(endpoint.address, options: endpoint.options, reactor: reactor,
                                                     accept: { [self, reactor] connection in
            _ = add(connection.makeLink(options: endpoint.options, reactor: reactor), address: address, dialer: nil)
        }, rejected: { [weak self] peer, error in
            self?.state.withLock { $0.handler }?.connectorRejectedHandshake(address, peer: peer, error: error)
        })
        let bound = listener.address
        let kept = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.listeners["\(bound.endpoint)"] = listener
            return true
        }
        if !kept {
            Task { await listener.close() }
            throw MultiSocketError(.closed, "connector closed")
        }
        return bound
    }

    /// An endpoint to open: the parsed address, its transport, and the options its pipes get.
    private struct Endpoint {
        var address: Address
        var transport: any Transport
        var options: PipeOptions
    }

    /// Parses `text` and settles its endpoint's options: `options` or the defaults, the query over them,
    /// checked by the transport.
    private func resolve(_ text: String, _ options: EndpointOptions?) throws(MultiSocketError) -> Endpoint {
        let (address, transport) = try Address.parse(text)
        do {
            var endpoint = try (options ?? self.options.endpoint).applying(address.query)
            if endpoint.spProtocol == nil { endpoint.spProtocol = spProtocol }
            try transport.validate(address, options: endpoint)
            return Endpoint(address: address, transport: transport,
                            options: PipeOptions(endpoint: endpoint, sendQueueSize: pipeQueueSize))
        } catch {
            throw MultiSocketError(error.code, "'\(text)': \(error.context)")
        }
    }

    /// Stops listening on `address` (as given, or as returned by ``listen(_:options:)``; the query does not
    /// matter); accepted pipes stay. When this returns, the address can be listened on again.
    public func stopListening(_ address: String) async {
        let bound = (try? Address(address)).map { "\($0.endpoint)" } ?? address
        let listener = state.withLock { state in
            state.listeners.removeValue(forKey: bound) ?? state.listeners.removeValue(forKey: address)
        }
        await listener?.close()
    }

    // MARK: Pipes

    /// The live pipes.
    public var pipes: [MessagePipe] {
        state.withLock { Array($0.pipes.values) }
    }

    /// The live pipe with `id`, if any.
    public func pipe(_ id: UInt32) -> MessagePipe? {
        state.withLock { $0.pipes[id] }
    }

    /// The most pipes at once, or `nil` for no limit. Changing it takes effect at once: lowering it keeps
    /// existing pipes but admits no new ones; raising it admits waiting connections and resumes dialers.
    public var pipeLimit: Int? {
        get { state.withLock { $0.options.pipeLimit } }
        set {
            state.withLock { $0.options.pipeLimit = newValue }
            recheckLimit()
        }
    }

    /// Adds a connected link as a pipe, unless the connector is closed, at its limit, or the handler
    /// refuses it. Returns whether it was added.
    @discardableResult
    func add(_ link: any PipeLink, address: String, dialer: Dialer?) -> Bool {
        enum Admission {
            case admitted(any ConnectorHandler)
            case waiting
            case refused
        }
        let admission = state.withLock { state -> Admission in
            if state.closed || !state.accepting { return .refused }
            if state.atLimit {
                guard dialer == nil, state.backlog.count < state.options.backlog else { return .refused }
                state.backlog.append(Waiting(link: link, address: address))
                return .waiting
            }
            guard let handler = state.handler else { return .refused }
            state.adding += 1
            return .admitted(handler)
        }
        let handler: any ConnectorHandler
        switch admission {
        case .admitted(let admitted):
            handler = admitted
        case .waiting:
            return false
        case .refused:
            link.close()
            return false
        }
        let id = PipeIDGenerator.shared.acquire()
        let pipe = MessagePipe(id: id, address: address, isDialed: dialer != nil, link: link)
        if let reason = handler.connectorShouldAdd(pipe) {
            state.withLock { $0.adding -= 1 }
            refuse(link, id: id, isRaw: pipe.isRaw, reason: reason)
            handler.connectorRefused(pipe, reason: reason)
            recheckLimit()
            return false
        }
        let registered = state.withLock { state -> Bool in
            state.adding -= 1
            if state.closed { return false }
            state.pipes[id] = pipe
            if let dialer { state.dialerOfPipe[id] = dialer }
            return true
        }
        guard registered else {
            link.close()
            PipeIDGenerator.shared.release(id)
            return false
        }
        handler.connectorAdded(pipe)
        link.start(pipeID: id, delegate: handler) { [self] in removed(pipe) }
        recheckLimit()
        return true
    }

    /// Closes a connection the pipe veto refused. A framed one first carries the refusal (``PeerRefusal``) so
    /// that the dialer learns why: the link starts with a delegate that drops what arrives, writes the refusal,
    /// and closes once it has left, in a lingering close, so the refusal is not lost to a reset. The pipe id
    /// is released when the link has closed. Runs on the thread that added the link.
    private func refuse(_ link: any PipeLink, id: UInt32, isRaw: Bool, reason: String) {
        guard !isRaw else {
            link.close()
            PipeIDGenerator.shared.release(id)
            return
        }
        RefusedPipeDelegate.refuse(link, pipeID: id, reason: reason) { PipeIDGenerator.shared.release(id) }
    }

    private func removed(_ pipe: MessagePipe) {
        let (handler, dialer) = state.withLock { state in
            state.pipes[pipe.id] = nil
            return (state.handler, state.dialerOfPipe.removeValue(forKey: pipe.id))
        }
        PipeIDGenerator.shared.release(pipe.id)
        handler?.connectorRemoved(pipe)
        dialer?.pipeClosed()
        recheckLimit()
    }

    /// Below the limit: admit a waiting connection and resume dialers. At it: pause dialers.
    private func recheckLimit() {
        let (waiting, dialers, atLimit) = state.withLock { state -> (Waiting?, [Dialer], Bool) in
            guard !state.closed, state.accepting else { return (nil, [], true) }
            if !state.atLimit, let waiting = state.backlog.popFirst() { return (waiting, state.dialers, false) }
            return (nil, state.dialers, state.atLimit)
        }
        if let waiting {
            add(waiting.link, address: waiting.address, dialer: nil)
            return
        }
        for dialer in dialers {
            if atLimit { dialer.pause() } else { dialer.resume() }
        }
    }

    func dialFailed(_ address: String, error: MultiSocketError) {
        state.withLock { $0.handler }?.connectorDialFailed(address, error: error)
    }

    func reconnectScheduled(_ address: String, after delay: Duration) {
        state.withLock { $0.handler }?.connectorReconnectScheduled(address, after: delay)
    }

    /// Joins this connector and `other` by an in-process link with no name: one pipe on each side.
    /// Returns whether both sides admitted their pipe.
    @discardableResult
    package func join(_ other: Connector) -> Bool {
        let (mine, theirs) = InprocTransport.pair((
            PipeOptions(endpoint: options.endpoint, sendQueueSize: pipeQueueSize),
            PipeOptions(endpoint: other.options.endpoint, sendQueueSize: other.pipeQueueSize)
        ))
        let first = add(mine, address: "inproc://pair", dialer: nil)
        let second = other.add(theirs, address: "inproc://pair", dialer: nil)
        if !(first && second) {
            mine.close()
            return false
        }
        return true
    }

    // MARK: Closing

    /// Stops dialers and listeners so no new pipe arrives; live pipes stay (used while lingering).
    package func stopAccepting() async {
        let (dialers, listeners, waiting) = state.withLock { state in
            state.accepting = false
            defer {
                state.dialers = []
                state.listeners = [:]
            }
            return (state.dialers, Array(state.listeners.values), state.backlog.removeAll())
        }
        for dialer in dialers { dialer.close() }
        for listener in listeners { await listener.close() }
        for entry in waiting { entry.link.close() }
    }

    /// Closes dialers, listeners and every pipe. Idempotent.
    package func close() async {
        await stopAccepting()
        let pipes = state.withLock { state -> [MessagePipe] in
            state.closed = true
            return Array(state.pipes.values)
        }
        for pipe in pipes { pipe.link.close() }
    }
}
