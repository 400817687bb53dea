/// Something that happened on a socket, delivered by ``Socket/events()``.
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
    /// A message was dropped.
    case messageDropped(DropReason)
}
