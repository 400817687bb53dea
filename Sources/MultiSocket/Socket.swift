@_spi(Internals) import MultiSocketConnector
/// A stateless message socket: a ``/MultiSocketConnector/Connector`` (peers), a ``SendStrategy`` and a ``ReceiveStrategy``.
///
/// Every received message records the path it travelled, so any task can answer any message at any time
/// with `sendTo(message.source, reply)`, across any number of ``Switch``es. Sending and receiving are
/// independent, and any number of tasks may send and receive on one socket at once: each received
/// message goes to exactly one receiver.
///
/// Queues are bounded. A full send queue suspends the sender (or, with
/// ``SocketOptions/bestEffort``, fails at once); a full receive queue stops the pipes being read.
/// ``close()`` a socket to flush what is queued and release its pipes when you choose; a socket dropped
/// without it (the last reference gone) closes itself the same way in the background: its listeners and
/// dialers stop at once, what is queued lingers, then its pipes close.
public final class Socket: Sendable {
    /// The socket's settings.
    public let options: SocketOptions
    /// What ``send(_:)-([UInt8])`` does.
    public let sendStrategy: SendStrategy
    /// Whether received messages are delivered.
    public let receiveStrategy: ReceiveStrategy
    /// The socket's dialers, listeners and pipes.
    public let connector: Connector

    /// What the library holds on to (pipes' delegate, the connector's handler, roles' loops and timers):
    /// never this handle, whose `deinit` closes the core.
    package let core: SocketCore
    let state: Locked<SocketState<LiveSocket>>
    let hub: EventHub
    let hooks: PipeHooks
    /// The listeners' verdicts on pipes this socket dials (kept only with an identity).
    let admissions: PipeAdmissions

    /// Creates a socket.
    ///
    /// - Parameters:
    ///   - sender: what ``send(_:)-([UInt8])`` does; `.none` makes a receive-only socket.
    ///   - receiver: `.none` makes a send-only socket.
    ///   - options: queue sizes, limits, timers.
    public init(sender: SendStrategy = .toOne, receiver: ReceiveStrategy = .all, options: SocketOptions = .init()) {
        var options = options
        if options.sendTTL == 0 { options.sendTTL = Message.defaultTTL }
        options.sendQueueSize = max(1, options.sendQueueSize)
        options.receiveQueueSize = max(1, options.receiveQueueSize)
        self.options = options
        self.sendStrategy = sender
        self.receiveStrategy = receiver
        core = SocketCore(receiver: receiver, options: options)
        state = core.state
        hub = core.hub
        hooks = core.hooks
        admissions = core.admissions
        connector = core.connector
    }

    /// A socket dropped without `close()` closes itself in the background (`SocketCore.handleDropped()`).
    deinit {
        core.handleDropped()
    }

    // MARK: Connecting

    /// Dials `address` (`tcp://host:port`, `ipc:///path`, `inproc://name`, `ws://host:port/path`, or the
    /// scheme of any registered ``/MultiSocketConnector/Transport``) and keeps the connection up, reconnecting with backoff when it
    /// is lost.
    ///
    /// The endpoint uses `options` (by default ``SocketOptions/connector``'s ``/MultiSocketConnector/ConnectorOptions/endpoint``),
    /// with the address's query applied over them — the query wins: `tcp://host:1234?raw=true` is raw
    /// whatever `options` say. By default the first attempt completes before this returns and its failure
    /// is thrown; with `waitForConnection: false` it returns at once and keeps trying in the background.
    /// With ``/MultiSocketConnector/EndpointOptions/raw``, the peer speaks plain bytes (see ``/MultiSocketConnector/MessagePipe/isRaw``): each chunk it
    /// sends arrives as a message flagged `.raw`, and `sendTo(message.source, …)` writes bytes back. Over
    /// ws, each binary WebSocket message carries one chunk of plain content.
    /// Runs on the caller's task; cancellation does not interrupt the first attempt, which is short.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` with code `badAddress` (also an unknown query option or a bad value),
    ///   `unsupportedScheme`, `connectionRefused` (also a ws path nobody listens on: HTTP 404), `addressInUse`
    ///   (already dialing it), `closed`, and for ws `protocolMismatch` (the server's handshake response is not
    ///   a valid RFC 6455 upgrade to subprotocol `multisocket.binary`) or `timedOut` (no handshake response
    ///   within 10 seconds).
    ///
    /// A socket with an ``SocketOptions/identity`` (every role) then waits, up to the endpoint's
    /// ``/MultiSocketConnector/EndpointOptions/admissionTimeout``, for the listener's hello on the new pipe:
    /// a listener whose pipe veto refuses it answers with its reason instead, and this throws
    /// `refusedByPeer` with that reason (a listener whose hello does not fit: `protocolMismatch`), and stops
    /// dialing. A peer that sends no hello (a socket without identity, the Go library) costs that wait and
    /// is taken as admitted. A reconnecting dialer refused later reports
    /// ``SocketEvent/dialFailed(address:error:)`` with `refusedByPeer`.
    /// - Throws: also `refusedByPeer` and `protocolMismatch`, as above.
    public func dial(_ address: String, options: EndpointOptions? = nil, waitForConnection: Bool = true) async throws {
        let waits = waitForConnection && self.options.identity != nil
        if waits { _ = admissions.takeRefusal(of: address) }
        try await connector.dial(address, options: options, waitForConnection: waitForConnection)
        guard waits else { return }
        let (parsed, _) = try Address.parse(address)
        let endpoint = try (options ?? self.options.connector.endpoint).applying(parsed.query)
        guard let timeout = endpoint.admissionTimeout, !endpoint.raw, !parsed.scheme.hasPrefix("sp+") else { return }
        if let pipe = connector.pipes.first(where: { $0.isDialed && $0.address == address }),
           case .refused(let error) = await admissions.verdict(for: pipe.id, within: timeout, on: self) {
            _ = admissions.takeRefusal(of: address)
            connector.stopDialing(address)
            pipe.close()
            throw error
        }
        // The refusal may have closed the pipe before it was looked for.
        if let error = admissions.takeRefusal(of: address) {
            connector.stopDialing(address)
            throw error
        }
    }

    /// Listens on `address` and returns the address bound (with the real port for `tcp://…:0` and
    /// `ws://…:0/path`, and the query as given). Several ws listeners in a process may share a port under
    /// different paths.
    ///
    /// The endpoint uses `options` (by default ``SocketOptions/connector``'s ``/MultiSocketConnector/ConnectorOptions/endpoint``),
    /// with the address's query applied over them. With ``/MultiSocketConnector/EndpointOptions/raw``, accepted peers speak plain
    /// bytes (see ``/MultiSocketConnector/MessagePipe/isRaw``). Runs on the caller's thread.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` with code `badAddress` (also an unknown query option or a bad value),
    ///   `unsupportedScheme`, `addressInUse` or `closed`.
    @discardableResult
    public func listen(_ address: String, options: EndpointOptions? = nil) throws -> Address {
        try connector.listen(address, options: options)
    }

    // MARK: Sending

    /// Sends `content` according to the socket's ``SendStrategy``: to one peer (the next idle pipe; with
    /// no pipe yet, the message waits in the queue until one appears) or to all peers.
    ///
    /// Returns once the message is written or queued. Cancellation while waiting for room sends nothing.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`, `messageDropped` (best effort, queue full),
    ///   `notSupported` (strategy `.toDest` or `.none`), `messageTooLarge`; or `CancellationError`.
    @inlinable
    public func send(_ content: [UInt8]) async throws {
        // Inlined into the caller: a send that need not wait costs no async frame of its own.
        if try sendWithoutWaiting(content) { return }
        try await sendWaiting(content)
    }

    /// The part of ``send(_:)-([UInt8])`` that never suspends. Returns `false` when the message must wait for room
    /// (or is for all pipes); nothing was sent then.
    @usableFromInline
    func sendWithoutWaiting(_ content: [UInt8]) throws -> Bool {
        switch sendStrategy {
        case .toOne: try sendToOneNow(Message(content: content, ttl: options.sendTTL))
        case .toAll: false
        case .toDest, .none: throw MultiSocketError(.notSupported, "send on a \(sendStrategy) socket")
        }
    }

    /// The part of ``send(_:)-([UInt8])`` that may suspend.
    @usableFromInline
    func sendWaiting(_ content: [UInt8]) async throws {
        switch sendStrategy {
        case .toOne: try await sendToOne(Message(content: content, ttl: options.sendTTL))
        case .toAll: try await sendAll(content)
        case .toDest, .none: throw MultiSocketError(.notSupported, "send on a \(sendStrategy) socket")
        }
    }

    /// Sends `content` along `path`, typically a received message's ``/MultiSocketConnector/Message/source``: the first id
    /// picks the local pipe, the rest travel with the message. An empty path is a no-op.
    ///
    /// Waits while that pipe's queue is full (best effort: fails at once). Cancellation while waiting
    /// sends nothing.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `brokenPath` (no such pipe, or it closed), `closed`,
    ///   `messageDropped`, `notSupported`, `messageTooLarge`; or `CancellationError`.
    @inlinable
    public func sendTo(_ path: MessagePath, _ content: [UInt8]) async throws {
        // Inlined into the caller: a send the pipe takes at once costs no async frame of its own.
        if try sendToWithoutWaiting(path, content) { return }
        try await sendAlong(Message(content: content, sendType: .toDest, ttl: options.sendTTL, destination: path))
    }

    /// The part of ``sendTo(_:_:)-(_,[UInt8])`` that never suspends. Returns `false` when the pipe is full; nothing
    /// was sent then.
    @usableFromInline
    func sendToWithoutWaiting(_ path: MessagePath, _ content: [UInt8], flags: MessageFlags = []) throws -> Bool {
        try checkCanSend()
        guard let first = path.first else { return true }
        let message = Message(content: content, sendType: .toDest, flags: flags, ttl: options.sendTTL,
                              destination: path)
        var counted = true
        return try attempt(message, through: pipe(named: first, for: message, counting: true).0, counted: &counted)
    }

    /// Sends `content` along `path` as ``sendTo(_:_:)-(_,[UInt8])`` does when the pipe takes it at once; when the pipe
    /// is full, sends nothing, counts a ``DropReason/queueFull`` drop and throws `messageDropped`. For
    /// protocol layers whose replies must never wait on a peer that does not read (``sendTo(_:_:)-(_,[UInt8])`` would).
    /// `flags` go on the message (a role's ``/MultiSocketConnector/MessageFlags/control`` answers).
    /// - Throws: as ``sendTo(_:_:)-(_,[UInt8])``, with `messageDropped` for a full pipe; never `CancellationError`.
    package func sendToOrDrop(_ path: MessagePath, _ content: [UInt8], flags: MessageFlags = []) throws {
        if try sendToWithoutWaiting(path, content, flags: flags) { return }
        drop(.queueFull)
        throw MultiSocketError(.messageDropped, "queue of the pipe to \(path) full")
    }

    /// Sends a copy of `content` to every current pipe.
    ///
    /// Waits for each full pipe in turn (best effort: skips it and counts a drop). Pipes that close
    /// meanwhile are skipped. Cancellation stops before the remaining pipes.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` or `notSupported`; or `CancellationError`.
    public func sendAll(_ content: [UInt8]) async throws {
        try checkCanSend()
        try await broadcast(Message(content: content, sendType: .toAll, ttl: options.sendTTL))
    }

    /// Sends a received message on as it is, keeping its path and ttl: what a ``Switch`` does.
    ///
    /// A message with ttl 0, the internal flag or the raw flag is dropped and counted; a broken path is
    /// thrown (and counted). Cancellation while waiting for room sends nothing.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `brokenPath`, `closed`, `messageDropped`, `notSupported`; or
    ///   `CancellationError`.
    public func forward(_ message: Message) async throws {
        try checkCanSend()
        let reason: DropReason? =
            message.ttl == 0 ? .ttlExpired
            : message.flags.contains(.internal) ? .internalMessage
            : message.flags.contains(.raw) || message.kind != .data ? .rawMessage : nil
        if let reason {
            drop(reason)
            return
        }
        switch message.sendType {
        case .toOne: try await sendToOne(message)
        case .toAll: try await broadcast(message)
        case .toDest:
            do {
                try await sendAlong(message)
            } catch let error as MultiSocketError where error.code == .brokenPath {
                drop(.brokenPath)
                throw error
            }
        }
    }

    // MARK: Receiving

    /// Receives the next message. Each message goes to exactly one of the tasks receiving concurrently.
    ///
    /// After ``close()``, messages already received are still returned, then `closed` is thrown.
    /// A cancelled receive consumes nothing: it throws `CancellationError` and the next message goes to
    /// another receiver.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` or `notSupported` (receive strategy `.none`);
    ///   `CancellationError`.
    @inlinable
    public func receive() async throws -> Message {
        // Inlined into the caller: a message already queued costs no async frame of its own.
        if let message = try receiveWithoutWaiting() { return message }
        return try await receiveWaiting()
    }

    /// The part of ``receive()`` that never suspends: a queued message, or `nil`.
    @usableFromInline
    func receiveWithoutWaiting() throws -> Message? {
        try core.receiveWithoutWaiting()
    }

    /// The part of ``receive()`` that waits for a message: until one comes, or `timeout` (by default
    /// ``SocketOptions/receiveTimeout``) has passed.
    @usableFromInline
    func receiveWaiting(timeout: Duration? = nil) async throws -> Message {
        try await core.receiveWaiting(timeout: timeout)
    }

    /// The received messages as an asynchronous sequence; it ends when the socket is closed and drained.
    /// Several tasks may iterate at once; each message goes to one of them.
    public var messages: SocketMessages { SocketMessages(socket: self) }

    /// The executor of the socket's home I/O thread: a reactor of ``SocketOptions/reactorGroup``, which also
    /// runs the socket's timers. The socket's pipes are spread over the group, starting from this reactor.
    ///
    /// A task running with `withTaskExecutorPreference(socket.executor) { … }` runs on that thread: a message
    /// read there resumes its receiver without waking another thread, and what the task sends is written
    /// without a hop — the fastest path for a receive loop, an echo server or a sender. The thread serves
    /// other sockets and pipes too, so such a task must not block it (no blocking system calls, no long
    /// computation between suspensions); hand heavy work to other tasks.
    public var executor: any TaskExecutor { core.reactor }

    /// Runs `job` once `delay` has passed, on the socket's I/O thread: the one timer source of the socket
    /// (its close's linger uses it too), for roles' deadlines and resends.
    ///
    /// The job runs outside every lock of the socket and must not block (it holds up that thread's I/O);
    /// it may run after the socket closed, so it should check what it acts on. Not cancellable by task
    /// cancellation: use ``cancel(_:)``. Throws nothing.
    @discardableResult
    public func schedule(after delay: Duration, _ job: @escaping @Sendable () -> Void) -> SocketTimer {
        core.schedule(after: delay, job)
    }

    /// Cancels a job scheduled with ``schedule(after:_:)`` that has not run yet; otherwise does nothing.
    public func cancel(_ timer: SocketTimer) {
        core.cancel(timer)
    }

    // MARK: Observing

    /// A snapshot of the socket's counters.
    public var statistics: SocketStatistics {
        state.withLock { $0.snapshot }
    }

    /// A new sequence of the socket's events from now on (the newest 4096 are kept if it is not read). It
    /// ends when the socket closes or the consumer stops iterating.
    public func events() -> AsyncStream<SocketEvent> {
        hub.subscribe()
    }

    // MARK: Closing

    /// Closes the socket; idempotent, and concurrent calls all return once it is closed.
    ///
    /// Pending receivers and blocked senders end with `closed`. Queued messages keep flowing to live
    /// peers for up to ``SocketOptions/linger``; then the connector and every pipe are closed and what
    /// is still queued is dropped (counted as ``DropReason/lingerExpired``). Received messages stay
    /// available to ``receive()``. Not cancellable.
    public func close() async {
        await core.close()
    }

    /// Stops taking input, for a graceful shutdown: listeners and dialers stop (no new peer), pipes are read
    /// no more (what peers send stays in the kernel), and receivers waiting on an empty queue end with
    /// `closed`. Messages already received stay available to ``receive()``, which throws `closed` once they
    /// are taken. Sending goes on through the pipes there are, so the messages already received can be
    /// answered; then ``close()`` flushes the answers. Idempotent; runs on the caller's task, returns once the
    /// listeners are closed; not cancellable; throws nothing.
    public func stopReceiving() async {
        await core.stopReceiving()
    }

    // MARK: Internals

    private func checkCanSend() throws(MultiSocketError) {
        if sendStrategy == .none { throw MultiSocketError(.notSupported, "send on a receive-only socket") }
    }

    func drop(_ reason: DropReason) {
        core.drop(reason)
    }
}
