/// Why a message was dropped instead of delivered or sent. Every drop is counted in
/// ``SocketStatistics/drops``.
public enum DropReason: String, Sendable, Hashable, CaseIterable {
    /// A best-effort send found its queue full.
    case queueFull
    /// The message had no hop left (ttl 0) when received or forwarded.
    case ttlExpired
    /// A forwarded message's path named no live pipe.
    case brokenPath
    /// The socket's receive strategy is ``ReceiveStrategy/none``.
    case receiveDisabled
    /// The message carried the internal flag.
    case internalMessage
    /// Raw-peer data is never forwarded to framed peers.
    case rawMessage
    /// The message could not be encoded (a path or content too large).
    case unencodable
    /// A switch middleware returned `nil`.
    case middleware
    /// The socket closed before the message could be sent (the linger time ran out).
    case lingerExpired
    /// The message arrived after ``Socket/stopReceiving()`` (a graceful shutdown): it is not delivered, and
    /// its pipe is read no more.
    case receivingStopped
}
