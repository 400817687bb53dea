/// A socket's settings, with the defaults of the Go library.
public struct SocketOptions: Sendable {
    /// Capacity of the shared to-one send queue and of each pipe's queue.
    public var sendQueueSize: Int
    /// Capacity of the receive queue; when it is full, pipes stop being read (back-pressure).
    public var receiveQueueSize: Int
    /// When a queue is full: `false` suspends the sender, `true` fails at once with
    /// ``MultiSocketError/Code/messageDropped`` (counted as ``DropReason/queueFull``).
    public var bestEffort: Bool
    /// Time-to-live of freshly sent messages (hops they may take); 0 means 16.
    public var sendTTL: UInt8
    /// How long ``Socket/close()`` keeps flushing queued messages to live peers.
    public var linger: Duration
    /// The largest content accepted on receive; a larger frame closes its pipe. `nil`: no limit.
    public var maxReceiveSize: Int?
    /// The most pipes at once, or `nil` for no limit.
    public var pipeLimit: Int?
    /// Whether dialers reconnect.
    public var reconnect: Bool
    /// The first reconnect delay.
    public var minReconnectInterval: Duration
    /// The longest reconnect delay, or `nil` for no cap.
    public var maxReconnectInterval: Duration?
    /// Whether TCP pipes disable Nagle's algorithm.
    public var tcpNoDelay: Bool
    /// Whether TCP pipes send keep-alive probes (see ``ConnectorOptions/tcpKeepAlive``).
    public var tcpKeepAlive: Bool
    /// How long a frame may take to arrive once it has begun; a peer stalling mid-frame longer loses its
    /// pipe (see ``ConnectorOptions/partialFrameTimeout``). `nil`: no limit.
    public var partialFrameTimeout: Duration?
    /// The protocol this socket speaks, checked against each peer's; `nil` for a plain socket.
    public var identity: ProtocolIdentity?
    /// Called for each new pipe before it is added: return `nil` to admit it or a reason to refuse it.
    public var pipeVeto: (@Sendable (MessagePipe) -> String?)?
    /// The I/O threads that serve the socket: its home reactor (``Socket/executor``, its timers) and its
    /// pipes, spread over the group. Default: ``ReactorGroup/default``.
    public var reactorGroup: ReactorGroup = .default

    /// Creates options; every parameter has the documented default.
    public init(
        sendQueueSize: Int = 64,
        receiveQueueSize: Int = 64,
        bestEffort: Bool = false,
        sendTTL: UInt8 = Message.defaultTTL,
        linger: Duration = .seconds(5),
        maxReceiveSize: Int? = 128 * 1024,
        pipeLimit: Int? = nil,
        reconnect: Bool = true,
        minReconnectInterval: Duration = .milliseconds(100),
        maxReconnectInterval: Duration? = .seconds(8),
        tcpNoDelay: Bool = true,
        tcpKeepAlive: Bool = true,
        partialFrameTimeout: Duration? = .seconds(30),
        identity: ProtocolIdentity? = nil,
        pipeVeto: (@Sendable (MessagePipe) -> String?)? = nil
    ) {
        self.sendQueueSize = sendQueueSize
        self.receiveQueueSize = receiveQueueSize
        self.bestEffort = bestEffort
        self.sendTTL = sendTTL
        self.linger = linger
        self.maxReceiveSize = maxReceiveSize
        self.pipeLimit = pipeLimit
        self.reconnect = reconnect
        self.minReconnectInterval = minReconnectInterval
        self.maxReconnectInterval = maxReconnectInterval
        self.tcpNoDelay = tcpNoDelay
        self.tcpKeepAlive = tcpKeepAlive
        self.partialFrameTimeout = partialFrameTimeout
        self.identity = identity
        self.pipeVeto = pipeVeto
    }

    var connectorOptions: ConnectorOptions {
        ConnectorOptions(
            pipeLimit: pipeLimit,
            maxReceiveSize: maxReceiveSize,
            sendQueueSize: sendQueueSize,
            tcpNoDelay: tcpNoDelay,
            tcpKeepAlive: tcpKeepAlive,
            partialFrameTimeout: partialFrameTimeout,
            reconnect: reconnect,
            minReconnectInterval: minReconnectInterval,
            maxReconnectInterval: maxReconnectInterval
        )
    }
}
