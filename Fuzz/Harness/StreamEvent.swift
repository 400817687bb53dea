import MultiSocketConnector

/// One thing a link's decoding loop did with its read buffer. Two readings of the same bytes, split into
/// reads differently, must produce the same sequence.
package enum StreamEvent<Reply: Sendable & Equatable>: Equatable {
    /// A message was delivered from a unit of `consumed` bytes.
    case message(Message, consumed: Int)
    /// A unit of `consumed` bytes was dropped for an expired ttl.
    case expired(consumed: Int)
    /// A unit of `consumed` bytes delivered nothing by itself; `reply` was written back.
    case consumed(Int, reply: Reply?)
    /// The peer closed in band with a unit of `consumed` bytes; `reply` was written back.
    case peerClosed(consumed: Int, reply: Reply?)
    /// The decoder rejected the stream; the link closed.
    case rejected(FrameError)
    /// The stream ended with this many bytes buffered that are no whole unit yet.
    case pending(Int)
}
