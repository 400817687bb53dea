/// Per-pipe settings a transport needs when it makes a link.
package struct PipeOptions: Sendable {
    /// The largest content accepted on receive, or `nil` for no limit.
    package var maxReceiveSize: Int?
    /// How many messages a pipe's outbound queue holds beyond what the transport has taken.
    package var sendQueueSize: Int
    /// Whether TCP links disable Nagle's algorithm.
    package var tcpNoDelay: Bool
    /// Whether TCP links send keep-alive probes.
    package var tcpKeepAlive: Bool
    /// How long a frame may take to arrive once its first byte has, or `nil` for no limit.
    package var partialFrameTimeout: Duration?
    /// Whether links carry plain bytes (a raw peer) instead of frames.
    package var raw: Bool

    package init(maxReceiveSize: Int?, sendQueueSize: Int, tcpNoDelay: Bool, tcpKeepAlive: Bool = true,
                 partialFrameTimeout: Duration? = .seconds(30), raw: Bool = false) {
        self.maxReceiveSize = maxReceiveSize
        self.sendQueueSize = sendQueueSize
        self.tcpNoDelay = tcpNoDelay
        self.tcpKeepAlive = tcpKeepAlive
        self.partialFrameTimeout = partialFrameTimeout
        self.raw = raw
    }
}
