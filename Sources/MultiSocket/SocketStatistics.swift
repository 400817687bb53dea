/// A snapshot of a socket's counters, taken by ``Socket/statistics``.
public struct SocketStatistics: Sendable, Hashable {
    /// Messages handed to pipes.
    public var messagesSent = 0
    /// Content bytes handed to pipes.
    public var bytesSent = 0
    /// Messages received from pipes (before any drop).
    public var messagesReceived = 0
    /// Content bytes received from pipes.
    public var bytesReceived = 0
    /// Dropped messages by reason.
    public var drops: [DropReason: Int] = [:]
    /// Frames rejected as malformed or oversize; each closed its pipe.
    public var rejectedFrames = 0
    /// Connections a listener dropped because their handshake failed or timed out (a tls+tcp or wss
    /// client that is not TLS, presents no or an untrusted certificate, …); see
    /// ``SocketEvent/handshakeRejected(address:peer:error:)``.
    public var rejectedHandshakes = 0
    /// Pipes open now.
    public var pipes = 0
    /// Pipes added since the socket was made.
    public var pipesAdded = 0
    /// Pipes removed since the socket was made.
    public var pipesRemoved = 0
    /// Pipes refused by the pipe veto.
    public var pipesRefused = 0
    /// Failed dial attempts.
    public var dialFailures = 0
    /// Reconnect attempts scheduled by dialers.
    public var reconnectsScheduled = 0
    /// Requests whose handler threw (a `Rep` serving with `serve`); see ``SocketEvent/handlerFailed(path:error:)``.
    public var handlerFailures = 0

    /// All drops, whatever the reason.
    public var totalDrops: Int { drops.values.reduce(0, +) }

    /// Creates an empty snapshot.
    public init() {}
}
