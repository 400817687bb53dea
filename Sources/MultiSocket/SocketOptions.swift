/// A socket's settings, with the defaults of the Go library.
public struct SocketOptions: Sendable {
    /// Capacity of the shared to-one send queue and of each pipe's queue.
    public var sendQueueSize: Int
    /// Capacity of the receive queue; when it is full, pipes stop being read (back-pressure).
    public var receiveQueueSize: Int
    /// When a queue is full: `false` suspends the sender, `true` fails at once with
    /// ``/MultiSocketConnector/MultiSocketError/Code/messageDropped`` (counted as ``DropReason/queueFull``).
    public var bestEffort: Bool
    /// Time-to-live of freshly sent messages (hops they may take); 0 means 16.
    public var sendTTL: UInt8
    /// How long ``Socket/close()`` keeps flushing queued messages to live peers.
    public var linger: Duration
    /// The connector's settings: the pipe limit, the backlog, and the defaults of every endpoint
    /// (reconnecting, receive limit, raw, TCP options, timeouts), which `dial`/`listen` may override.
    public var connector: ConnectorOptions
    /// The protocol this socket speaks, checked against each peer's; `nil` for a plain socket.
    public var identity: ProtocolIdentity?
    /// Called for each new pipe before it is added: return `nil` to admit it or a reason to refuse it.
    public var pipeVeto: (@Sendable (MessagePipe) -> String?)?
    /// The I/O threads that serve the socket: its home reactor (``Socket/executor``, its timers) and its
    /// pipes, spread over the group. Default: ``/MultiSocketConnector/ReactorGroup/default``.
    public var reactorGroup: ReactorGroup = .default
    /// How long a ``Socket/receive()`` (and a role's receive, which calls it) waits for a message before it
    /// throws ``/MultiSocketConnector/MultiSocketError/Code/timedOut``, consuming nothing; `nil` (the default) waits as long as it
    /// takes. mangos' RecvDeadline.
    public var receiveTimeout: Duration?
    /// How long a send waits for room in a full queue before it throws ``/MultiSocketConnector/MultiSocketError/Code/timedOut``,
    /// sending nothing; `nil` (the default) waits as long as it takes. A send that finds room never waits.
    /// mangos' SendDeadline.
    public var sendTimeout: Duration?

    /// Creates options; every parameter has the documented default.
    public init(
        sendQueueSize: Int = 64,
        receiveQueueSize: Int = 64,
        bestEffort: Bool = false,
        sendTTL: UInt8 = Message.defaultTTL,
        linger: Duration = .seconds(5),
        connector: ConnectorOptions = ConnectorOptions(),
        identity: ProtocolIdentity? = nil,
        pipeVeto: (@Sendable (MessagePipe) -> String?)? = nil,
        receiveTimeout: Duration? = nil,
        sendTimeout: Duration? = nil
    ) {
        self.sendQueueSize = sendQueueSize
        self.receiveQueueSize = receiveQueueSize
        self.bestEffort = bestEffort
        self.sendTTL = sendTTL
        self.linger = linger
        self.connector = connector
        self.identity = identity
        self.pipeVeto = pipeVeto
        self.receiveTimeout = receiveTimeout
        self.sendTimeout = sendTimeout
    }
}
