/// How a peer on the Scalability Protocols wire broke it. Each closes the pipe and is counted as a rejected
/// frame (``FrameError/scalabilityProtocols(_:)``).
public enum SPViolation: Sendable, Hashable, CustomStringConvertible {
    /// An sp+ipc message whose type byte is not 1 (the only type the ipc mapping defines).
    case unknownMessageType(UInt8)
    /// A request or reply whose backtrace ends without a word with the high bit set (the request or survey
    /// id at the bottom of the stack).
    case missingRequestID
    /// The peer's connection header announced a protocol that does not fit this socket's.
    case protocolMismatch(local: UInt16, peer: UInt16)

    /// A short explanation.
    public var description: String {
        switch self {
        case .unknownMessageType(let type): "ipc message type \(type), expected 1"
        case .missingRequestID: "backtrace without a request id (no word with the high bit set)"
        case .protocolMismatch(let local, let peer):
            "peer protocol 0x\(String(peer, radix: 16)) does not fit 0x\(String(local, radix: 16))"
        }
    }
}
