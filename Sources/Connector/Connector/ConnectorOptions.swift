/// Settings of a ``Connector``: how many pipes, how dialers reconnect, and per-pipe limits.
public struct ConnectorOptions: Sendable {
    /// The most pipes at once, or `nil` for no limit. At the limit, dialers pause and newly accepted
    /// connections wait (unread) until a pipe leaves.
    public var pipeLimit: Int?
    /// The largest message content accepted on receive; a larger frame closes its pipe. `nil`: no limit.
    public var maxReceiveSize: Int?
    /// How many messages each pipe queues beyond what its transport has taken.
    public var sendQueueSize: Int
    /// Whether TCP pipes disable Nagle's algorithm.
    public var tcpNoDelay: Bool
    /// Whether TCP pipes send keep-alive probes (`SO_KEEPALIVE`), so that a peer whose host vanished is
    /// noticed by the kernel and its pipe closed.
    public var tcpKeepAlive: Bool
    /// How long a frame may take to arrive once its first byte has (for ws, a fragmented message once its
    /// first fragment has); a peer that stalls mid-frame longer has its pipe closed with
    /// ``FrameError/stalled(buffered:)``. `nil`: no limit. Time spent paused by a full receive queue does
    /// not count.
    public var partialFrameTimeout: Duration?
    /// Whether dialers reconnect after a failed attempt or a lost pipe.
    public var reconnect: Bool
    /// The first reconnect delay; each failure multiplies it by a random factor in [1.1, 1.5).
    public var minReconnectInterval: Duration
    /// The longest reconnect delay, or `nil` for no cap.
    public var maxReconnectInterval: Duration?
    /// How many accepted connections may wait while the pipe limit is reached; more are closed.
    public var backlog: Int

    /// Creates options; every parameter has the documented default.
    public init(
        pipeLimit: Int? = nil,
        maxReceiveSize: Int? = 128 * 1024,
        sendQueueSize: Int = 64,
        tcpNoDelay: Bool = true,
        tcpKeepAlive: Bool = true,
        partialFrameTimeout: Duration? = .seconds(30),
        reconnect: Bool = true,
        minReconnectInterval: Duration = .milliseconds(100),
        maxReconnectInterval: Duration? = .seconds(8),
        backlog: Int = 128
    ) {
        self.pipeLimit = pipeLimit
        self.maxReceiveSize = maxReceiveSize
        self.sendQueueSize = sendQueueSize
        self.tcpNoDelay = tcpNoDelay
        self.tcpKeepAlive = tcpKeepAlive
        self.partialFrameTimeout = partialFrameTimeout
        self.reconnect = reconnect
        self.minReconnectInterval = minReconnectInterval
        self.maxReconnectInterval = maxReconnectInterval
        self.backlog = backlog
    }

    package func pipeOptions(raw: Bool) -> PipeOptions {
        PipeOptions(maxReceiveSize: maxReceiveSize, sendQueueSize: sendQueueSize, tcpNoDelay: tcpNoDelay,
                    tcpKeepAlive: tcpKeepAlive, partialFrameTimeout: partialFrameTimeout, raw: raw)
    }
}
