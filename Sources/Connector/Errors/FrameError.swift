/// Why an incoming frame was rejected. A rejected frame closes its pipe (except ``ttlExpired``, which only
/// drops the message) and is counted in the socket's statistics.
public enum FrameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The send type bits were 3.
    case invalidSendType
    /// The announced content length exceeds the pipe's maximum receive size.
    case tooLarge(length: Int, limit: Int)
    /// The frame already carried 255 source ids; one more cannot be recorded.
    case hopsOverflow
    /// A to-destination frame with an empty destination path.
    case missingDestination
    /// A message transport delivered a frame whose size disagrees with its header.
    case lengthMismatch(expected: Int, actual: Int)
    /// The peer closed the connection in the middle of a frame; `buffered` bytes of it had arrived.
    case truncated(buffered: Int)
    /// A frame (or a fragmented WebSocket message) took longer than the partial-frame timeout to arrive once
    /// it had begun; `buffered` bytes of it had arrived.
    case stalled(buffered: Int)
    /// The peer reset the connection (it closed with data of ours unread, or crashed) while `unread` bytes it
    /// had sent were not read yet: the pipe closes at once and those bytes are discarded.
    case connectionReset(unread: Int)
    /// The frame arrived with ttl 0: it has no hop left to take. The message is dropped; the pipe stays.
    case ttlExpired
    /// A WebSocket peer broke RFC 6455, or sent what a ws pipe does not carry (text, an oversize message).
    case webSocket(WebSocketViolation)
    /// A Scalability Protocols peer broke the SP wire (an `sp+` endpoint).
    case scalabilityProtocols(SPViolation)

    /// Whether this rejection closes the pipe it arrived on.
    public var closesPipe: Bool {
        if case .ttlExpired = self { return false }
        return true
    }

    /// A short explanation.
    public var description: String {
        switch self {
        case .invalidSendType: "invalid send type 3"
        case .tooLarge(let length, let limit): "content length \(length) exceeds the limit \(limit)"
        case .hopsOverflow: "hop count 255 cannot grow"
        case .missingDestination: "to-destination frame without a destination"
        case .lengthMismatch(let expected, let actual): "frame size \(actual) does not match its header (\(expected))"
        case .truncated(let buffered): "connection ended inside a frame (\(buffered) bytes buffered)"
        case .stalled(let buffered): "frame not completed in time (\(buffered) bytes buffered)"
        case .connectionReset(let unread): "connection reset by the peer with \(unread) bytes unread"
        case .ttlExpired: "ttl expired"
        case .webSocket(let violation): "WebSocket: \(violation)"
        case .scalabilityProtocols(let violation): "SP: \(violation)"
        }
    }
}
