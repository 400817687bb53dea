/// A Talk peer's limits, timeouts, heartbeats and payload coder. Every limit is per connection (pipe).
public struct TalkConfiguration: Sendable {
    /// Calls handled at once for one connection; a call beyond it is answered ``TalkError/Code/retry``
    /// after ``retryAfter`` (never queued, never left hanging).
    public var maxConcurrentRequests: Int = 64
    /// Streams handled at once for one connection; excess ones are answered like excess calls.
    public var maxConcurrentStreams: Int = 16
    /// The wait a ``TalkError/Code/retry`` answer from a limit asks for.
    public var retryAfter: Duration = .milliseconds(50)
    /// How long a call waits for its reply, or a stream reader for its next part, unless the call says
    /// otherwise (``TalkCallOptions/timeout``).
    public var readTimeout: Duration = .seconds(30)
    /// The bytes of parts either side of a stream may have sent and not yet had consumed: what bounds the
    /// memory of a stream and slows a producer down to its consumer. At least 1 KiB.
    public var streamWindow: Int = 256 * 1024
    /// How often a heartbeat goes to each directly connected Talk peer; `nil` sends none and detects no
    /// dead peers.
    public var heartbeatInterval: Duration? = .seconds(5)
    /// A directly connected Talk peer silent (no frame at all) for more than this many heartbeat intervals
    /// — counted in this side's own ticks, so its own delays are never blamed on the peer — is dead: its
    /// pipe is closed and its calls fail with ``TalkError/Code/peerLost``.
    public var missedHeartbeats: Int = 3
    /// The load figure sent in heartbeats, 0 (idle) … 1 (saturated); `nil`: the share of
    /// ``maxConcurrentRequests`` in use on the busiest connection. Called on the socket's I/O thread: keep
    /// it quick.
    public var load: (@Sendable () -> Double)?
    /// How `Codable` payloads are encoded.
    public var coder: any MessageCoder = JSONMessageCoder()

    /// The defaults.
    public init() {}
}
