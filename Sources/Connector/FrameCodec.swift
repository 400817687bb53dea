/// Turns messages into frames and frames into messages for one wire format.
///
/// A codec is a value with no state beyond its configuration. The multisocket format is
/// ``MultiSocketCodec``; a second format (for example nanomsg's SP) plugs in here without touching the
/// socket's senders or receivers.
public protocol FrameCodec: Sendable {
    /// Appends the frame for `message` to `buffer`, exactly ``Message/frameSize`` bytes for the
    /// multisocket format.
    ///
    /// - Throws: ``MultiSocketError`` with ``MultiSocketError/Code/messageTooLarge`` when a path has more
    ///   than 255 ids or the content more than `UInt32.max` bytes; nothing is appended then.
    func encode(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError)

    /// Decodes the first frame in `bytes`, applying the receive rule for a frame arriving on `pipeID`.
    ///
    /// The header is validated before anything is allocated.
    /// - Throws: ``FrameError`` for a malformed frame.
    func decode(_ bytes: UnsafeRawBufferPointer, arrivingOn pipeID: UInt32) throws(FrameError) -> DecodeResult
}

/// What a codec found at the start of a buffer.
public enum DecodeResult: Sendable {
    /// A whole frame: the message it carried and the number of bytes it took.
    case message(Message, consumed: Int)
    /// A whole, well-formed frame whose ttl had run out: skip `consumed` bytes and count a drop.
    case expired(consumed: Int)
    /// Not a whole frame yet; `frameSize` is its total size once the header is known.
    case needMore(frameSize: Int?)
}
