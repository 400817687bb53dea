@_spi(Internals) import MultiSocketConnector

/// A Talk peer: bidirectional RPC over a ``/MultiSocket/Socket`` — named operations with typed outcomes,
/// notifications, streams with back-pressure, heartbeats — with both ends equal.
///
/// Each side registers handlers (`handle(_:_:)`, ``handleStream(_:_:)``, ``onNotification(_:_:)``) and
/// calls the other's (``call(_:_:options:)``, ``stream(_:_:sendsParts:options:)``, ``notify(_:_:to:)``). Calls go to one
/// peer, or along a path (a ``TalkRequest/peer``): replies travel back along the path each message
/// recorded, so Talk works over every transport and through any number of ``/MultiSocket/Switch``es, and a handler can
/// call back the peer it is answering.
///
/// **Ownership.** The peer does nothing until ``run()`` is running: it is the receive loop, the heartbeat
/// timer and the owner of the handler tasks. Run it once, in a task you own (`async let`, a task group);
/// it returns when the socket closes (``close()``), and cancelling it stops the peer. Handlers run in
/// tasks ``run()`` starts, one per call or stream, cancelled when their caller cancels or its pipe goes.
///
/// **Wire.** Talk frames are the content of ordinary messages (``TalkFrame`` has the layout); a hello and
/// heartbeats go to every directly connected Talk peer, and a frame of another Talk version is answered
/// with a version mismatch (the link of a mismatched hello is closed).
public final class Talk: ProtocolRole, PipeObserver {
    /// TALK (0x7A), whose peer is another TALK: a number outside NNG's table.
    public static let identity = ProtocolIdentity(id: 0x7A, peer: 0x7A, name: "talk", peerName: "talk")
    /// The socket: sends to one peer or along paths, receives from all.
    public let socket: Socket
    /// The limits, timeouts and coder.
    public let configuration: TalkConfiguration
    let state: Locked<TalkState>
    let handlers = Locked<[String: TalkHandler]>([:])
    let notificationHandlers = Locked<[String: @Sendable (TalkNotification) -> Void]>([:])
    /// The hook in a struct: a function stored directly as a `Locked` value would be re-abstracted on every
    /// access and wrapped in one more thunk each time (the stack of a call grows with each heartbeat).
    let heartbeatHook = Locked<HeartbeatHook?>(nil)

    struct HeartbeatHook {
        let call: @Sendable (TalkHeartbeat) -> Void
    }
    let window: Int

    /// Creates a peer on a new socket. `options.identity` is replaced by ``identity``. Starts nothing:
    /// see ``run()``.
    public init(options: SocketOptions = .init(), configuration: TalkConfiguration = .init()) {
        var socketOptions = options
        socketOptions.identity = Self.identity
        socket = Socket(sender: .toOne, receiver: .all, options: socketOptions)
        self.configuration = configuration
        window = max(1024, configuration.streamWindow)
        state = Locked(TalkState(seed: UInt32.random(in: 1 ... .max)))
        socket.addPipeObserver(self)
    }

    /// A snapshot of what was dropped or refused.
    public var talkStatistics: TalkStatistics { state.withLock { $0.statistics } }

    // MARK: Registering

    /// Registers `handler` for calls of `operation` (replacing any earlier one). It runs in its own task,
    /// cancelled when the caller cancels or is lost; what it returns is the result, what it throws reaches
    /// the caller as ``TalkError/Code/handlerFailed`` with its text (or ``TalkError/Code/retry`` for
    /// ``TalkError/retry(after:_:)``).
    public func handle(_ operation: String, _ handler: @escaping @Sendable (TalkRequest) async throws -> [UInt8]) {
        handlers.withLock { $0[operation] = .unary(handler) }
    }

    /// Registers a handler taking and returning `Codable` values (encoded with ``TalkConfiguration/coder``).
    /// A payload that does not decode is answered as a handler failure.
    public func handle<Input: Decodable & SendableMetatype, Output: Encodable & SendableMetatype>(
        _ operation: String, _ handler: @escaping @Sendable (Input, TalkRequest) async throws -> Output
    ) {
        let coder = configuration.coder
        handle(operation) { request in
            let input = try TalkCoding.decode(Input.self, request.payload, with: coder)
            return try TalkCoding.encode(try await handler(input, request), with: coder)
        }
    }

    /// Registers `handler` for streams of `operation`: it reads the caller's parts from the stream and
    /// writes its own; returning ends its parts (the end marker is sent for it); throwing fails the stream
    /// at the caller with ``TalkError/Code/handlerFailed``.
    public func handleStream(_ operation: String,
                             _ handler: @escaping @Sendable (TalkStream, TalkRequest) async throws -> Void) {
        handlers.withLock { $0[operation] = .stream(handler) }
    }

    /// Registers `handler` for notifications named `name`. It is called in order, on the receive loop
    /// (the socket's I/O thread): keep it short and hand longer work to a task of yours.
    public func onNotification(_ name: String, _ handler: @escaping @Sendable (TalkNotification) -> Void) {
        notificationHandlers.withLock { $0[name] = handler }
    }

    /// Sets the hook called with each hello and heartbeat from a directly connected Talk peer, on the
    /// receive loop (the socket's I/O thread): keep it short.
    public func onHeartbeat(_ hook: @escaping @Sendable (TalkHeartbeat) -> Void) {
        heartbeatHook.withLock { $0 = HeartbeatHook(call: hook) }
    }

    // MARK: Running

    /// Runs the peer: receives and dispatches every frame, sends heartbeats and detects dead peers, and owns
    /// the handler tasks. Returns when the socket is closed; call it once.
    ///
    /// Receives on the socket's I/O thread (the socket's executor). When it ends — the socket closed, or the
    /// task running it cancelled — every pending call and stream fails with ``TalkError/Code/closed``, the
    /// handler tasks are cancelled and awaited, heartbeats stop, and the registered handlers and hooks are
    /// released (closures that capture the peer do not keep it alive).
    /// - Throws: `CancellationError` when cancelled.
    public func run() async throws {
        startHeartbeats()
        var ending: (any Error)?
        await withTaskExecutorPreference(socket.executor) {
            while true {
                let message: Message
                do {
                    message = try await socket.receive()
                } catch let error as MultiSocketError where error.code == .closed {
                    return
                } catch {
                    ending = error
                    return
                }
                dispatch(message)
            }
        }
        await shutDown()
        if let ending { throw ending }
    }

    /// Ends every call, stream and handler, and lets go of the registered handlers and hooks (which often
    /// capture this peer: the cycle ends here): what ``run()`` does as it returns.
    private func shutDown() async {
        let (calls, streams, tasks, timers) = state.withLock { $0.close() }
        handlers.withLock { $0 = [:] }
        notificationHandlers.withLock { $0 = [:] }
        heartbeatHook.withLock { $0 = nil }
        for timer in timers { socket.cancel(timer) }
        let error = TalkError(.closed, "talk peer stopped")
        for waiter in calls { waiter.resume(throwing: error) }
        for stream in streams { stream.fail(error) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    // MARK: PipeObserver

    /// Sends the hello on a new pipe. Called by the socket (``/MultiSocket/PipeObserver``); not for applications.
    public func pipeAdded(_ pipe: MessagePipe) {
        state.withLock { $0.added(pipe) }
        sendNow(TalkFrame(.hello, number: heartbeatMilliseconds, load: currentLoad()), to: [pipe.id])
    }

    /// Fails the calls and streams that went out on a removed pipe and cancels the handlers of its calls.
    /// Called by the socket (``/MultiSocket/PipeObserver``); not for applications.
    public func pipeRemoved(_ pipe: MessagePipe) {
        let loss = state.withLock { $0.removed(pipe.id) }
        for waiter in loss.calls { waiter.resume(throwing: loss.error) }
        for stream in loss.streams { stream.fail(loss.error) }
        for stream in loss.handledStreams { stream.fail(loss.error) }
        for task in loss.tasks { task.cancel() }
    }
}
