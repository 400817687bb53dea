/// How a ``StreamEndpoint`` runs its streams.
public struct StreamOptions: Sendable, Hashable {
    /// Bytes a stream buffers for its reader: the credit window the peer's writer may have outstanding.
    /// Default 256 KiB; at least 1.
    public var window: Int
    /// The largest data message a write sends; large writes are cut into these so that streams sharing a
    /// pipe interleave. Default 64 KiB; at least 1, and kept below the socket's receive limit.
    public var chunkSize: Int
    /// Streams a listener holds that were not accepted yet; a connect beyond it is refused with
    /// ``StreamError/Code/listenQueueFull``. Default 16.
    public var acceptQueue: Int
    /// How long a stream may hear nothing before a keep-alive probe is sent, and the time between probes;
    /// `nil` turns keep-alive off. Default 5 s.
    public var keepAliveInterval: Duration?
    /// Probes left unanswered before the stream ends with ``StreamError/Code/keepAliveTimeout``. Default 3.
    public var keepAliveProbes: Int

    /// Creates options.
    public init(
        window: Int = 256 * 1024,
        chunkSize: Int = 64 * 1024,
        acceptQueue: Int = 16,
        keepAliveInterval: Duration? = .seconds(5),
        keepAliveProbes: Int = 3
    ) {
        self.window = max(1, window)
        self.chunkSize = max(1, chunkSize)
        self.acceptQueue = max(1, acceptQueue)
        self.keepAliveInterval = keepAliveInterval
        self.keepAliveProbes = max(1, keepAliveProbes)
    }
}
