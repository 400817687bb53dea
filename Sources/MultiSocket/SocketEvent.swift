/// Something that happened on a socket, delivered by ``Socket/events()``.
///
/// New cases are added as the library grows (``handshakeRejected(address:peer:error:)`` came with TLS):
/// switch over it with a `default`.
public enum SocketEvent: Sendable {
    /// A pipe joined the socket.
    case pipeAdded(MessagePipe)
    /// A pipe left the socket.
    case pipeRemoved(MessagePipe)
    /// The pipe veto refused a pipe, for `reason`; it was closed.
    case pipeRefused(MessagePipe, reason: String)
    /// A dial attempt to `address` failed.
    case dialFailed(address: String, error: MultiSocketError)
    /// A dialer will try `address` again after `delay`.
    case reconnectScheduled(address: String, after: Duration)
    /// A frame from pipe `pipeID` was rejected; unless the reason is ttl expiry, the pipe was closed.
    case frameRejected(pipeID: UInt32, reason: FrameError)
    /// The listener on `address` (as given to `listen`) dropped a connection from `peer` (its address, when
    /// known) because its handshake failed or timed out — for tls+tcp and wss, the TLS handshake: `error`
    /// is `protocolMismatch` (not TLS, no or an untrusted client certificate, no common version) or
    /// `timedOut`. The listener keeps accepting. Counted in ``SocketStatistics/rejectedHandshakes``.
    case handshakeRejected(address: String, peer: String?, error: MultiSocketError)
    /// A message was dropped.
    case messageDropped(DropReason)
    /// The handler serving a request from `path` threw `error` (its description); the requester was told
    /// where its wire allows (a `Rep` over multisocket frames), else its request stays unanswered. Counted in
    /// ``SocketStatistics/handlerFailures``.
    case handlerFailed(path: MessagePath, error: String)
}
