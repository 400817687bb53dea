/// How a ``StreamLink`` carries messages on its byte stream: the plain multisocket framing for tcp and ipc
/// (``MultiSocketFraming``), RFC 6455 WebSocket framing for ws (``WebSocketFraming``).
///
/// A link keeps two copies of its framing. The sending copy lives under the link's outbound lock and only
/// encodes; the receiving copy lives on the reactor thread and only decodes. State that either half keeps
/// (a mask generator, a message being reassembled) stays in its own copy.
protocol StreamFraming: Sendable {
    /// A control frame the receiving half asks the link to write back (a WebSocket pong or close).
    associatedtype Reply: Sendable

    /// Whether a raw pipe's content travels framed, one frame per message (`true`), or as the bare byte
    /// stream, one message per read (`false`).
    static var framesRawContent: Bool { get }

    /// The largest unit ``decode(_:arrivingOn:)`` accepts, header included, or `nil` when content is
    /// unlimited: a link's read buffer never grows past it.
    var maxUnitSize: Int? { get }

    /// Whether a message has begun but not ended (a fragmented WebSocket message between its fragments).
    var isMidMessage: Bool { get }

    /// Appends the bytes that carry `message`. Nothing is appended when it throws.
    ///
    /// - Throws: ``MultiSocketError`` with ``MultiSocketError/Code/messageTooLarge`` when the message cannot
    ///   be encoded.
    mutating func encode(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError)

    /// Appends the bytes that carry `message` up to its content, when the content follows them on the
    /// stream as it is; returns `false`, having appended nothing, when the framing transforms the content
    /// (then ``encode(_:into:)`` carries the message).
    ///
    /// - Throws: as ``encode(_:into:)``; nothing is appended then.
    mutating func encodeHeader(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) -> Bool

    /// Appends the bytes that carry `content` to a raw peer.
    mutating func encode(rawContent content: [UInt8], into buffer: inout [UInt8])

    /// Appends a reply the receiving half asked for.
    mutating func encode(reply: Reply, into buffer: inout [UInt8])

    /// Appends what the link writes, best effort, just before it closes: nothing, or a WebSocket close
    /// frame whose status says why (`reason` is the rejected frame's error, `nil` for an orderly close).
    mutating func encodeClose(reason: FrameError?, into buffer: inout [UInt8])

    /// Decodes the first unit in `bytes`, applying the receive rule for a frame arriving on `pipeID`.
    ///
    /// Limits are checked from the header, before anything is allocated. The bytes of a unit it consumes
    /// may be rewritten in place (WebSocket unmasking); bytes it does not consume are left alone.
    /// - Throws: ``FrameError`` for a malformed or oversize unit; the link closes.
    mutating func decode(
        _ bytes: UnsafeMutableRawBufferPointer,
        arrivingOn pipeID: UInt32
    ) throws(FrameError) -> StreamDecodeResult<Reply>
}

/// What a ``StreamFraming`` found at the start of a link's read buffer.
package enum StreamDecodeResult<Reply: Sendable>: Sendable {
    /// A whole message and the number of bytes it took.
    case message(Message, consumed: Int)
    /// A whole, well-formed frame whose ttl had run out: skip `consumed` bytes and count a drop.
    case expired(consumed: Int)
    /// Not a whole unit yet; `frameSize` is its total size once the header is known.
    case needMore(frameSize: Int?)
    /// `consumed` bytes that deliver nothing by themselves (a control frame, or one fragment of a message);
    /// `reply`, if any, is written back.
    case consumed(Int, reply: Reply?)
    /// The peer closed the stream in band (a WebSocket close frame): write `reply`, if any, then close.
    case peerClosed(consumed: Int, reply: Reply?)
}
