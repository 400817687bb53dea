/// How one call or stream is made.
public struct TalkCallOptions: Sendable {
    /// The path to the peer to call (a ``TalkRequest/peer`` or ``TalkNotification/peer``, to call the peer
    /// that called or notified us, through any number of switches); `nil` sends to one peer, the next free.
    public var to: MessagePath?
    /// How long to wait for the reply (or the next part); `nil` uses ``TalkConfiguration/readTimeout``.
    public var timeout: Duration?
    /// How many times a ``TalkError/Code/retry`` answer is retried automatically, after the wait the peer
    /// asked for; 0 throws it at once.
    public var retries: Int

    /// Creates options.
    public init(to: MessagePath? = nil, timeout: Duration? = nil, retries: Int = 0) {
        self.to = to
        self.timeout = timeout
        self.retries = retries
    }
}
