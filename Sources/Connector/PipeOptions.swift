/// Per-pipe settings a transport needs when it makes a link.
package struct PipeOptions: Sendable {
    /// The largest content accepted on receive, or `nil` for no limit.
    package var maxReceiveSize: Int?
    /// How many messages a pipe's outbound queue holds beyond what the transport has taken.
    package var sendQueueSize: Int
    /// Whether TCP links disable Nagle's algorithm.
    package var tcpNoDelay: Bool
    /// Whether links carry plain bytes (a raw peer) instead of frames.
    package var raw: Bool

    package init(maxReceiveSize: Int?, sendQueueSize: Int, tcpNoDelay: Bool, raw: Bool = false) {
        self.maxReceiveSize = maxReceiveSize
        self.sendQueueSize = sendQueueSize
        self.tcpNoDelay = tcpNoDelay
        self.raw = raw
    }
}
