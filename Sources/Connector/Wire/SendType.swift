/// How a message is routed: the low two bits of the frame's first byte.
public enum SendType: UInt8, Sendable, Hashable {
    /// To one peer, chosen fairly among the idle ones.
    case toOne = 0
    /// To every peer.
    case toAll = 1
    /// Along the message's destination path.
    case toDest = 2
}
