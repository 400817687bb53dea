/// How a WebSocket peer broke RFC 6455, or sent something a ws pipe does not carry. Each closes the pipe
/// (after a best-effort close frame with a matching status code) and is counted as a rejected frame.
public enum WebSocketViolation: Sendable, Hashable, CustomStringConvertible {
    /// A client sent a frame without a mask (RFC 6455 §5.1: a server must close the connection).
    case unmaskedClientFrame
    /// A server sent a masked frame (RFC 6455 §5.1: a client must close the connection).
    case maskedServerFrame
    /// A reserved bit was set, but no extension was negotiated.
    case reservedBitsSet
    /// An opcode RFC 6455 reserves.
    case reservedOpcode(UInt8)
    /// A text message. MultiSocket frames (and raw content) travel only as binary messages.
    case textMessage
    /// A control frame that was fragmented or longer than 125 bytes.
    case malformedControlFrame
    /// A continuation frame with no fragmented message to continue.
    case unexpectedContinuation
    /// A new data message began before the fragmented one in progress had ended.
    case unfinishedMessage
    /// A 64-bit payload length with its most significant bit set.
    case invalidLength
    /// A close frame whose payload is one byte long (a status code takes two).
    case invalidClosePayload
    /// The message (its fragments so far, or the one frame's announced length) is longer than the pipe
    /// accepts: its maximum receive size plus room for the multisocket frame header. Checked from the
    /// length field, before anything is buffered.
    case messageTooLarge(length: Int, limit: Int)

    /// A short explanation.
    public var description: String {
        switch self {
        case .unmaskedClientFrame: "unmasked frame from a client"
        case .maskedServerFrame: "masked frame from a server"
        case .reservedBitsSet: "reserved bits set without an extension"
        case .reservedOpcode(let opcode): "reserved opcode \(opcode)"
        case .textMessage: "text message (only binary messages are carried)"
        case .malformedControlFrame: "fragmented or oversize control frame"
        case .unexpectedContinuation: "continuation frame without a message to continue"
        case .unfinishedMessage: "new message before the fragmented one ended"
        case .invalidLength: "64-bit payload length with its top bit set"
        case .invalidClosePayload: "close frame with a one-byte payload"
        case .messageTooLarge(let length, let limit): "message of \(length) bytes exceeds the limit \(limit)"
        }
    }
}
