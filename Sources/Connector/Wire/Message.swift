/// A message: content bytes plus the routing data that travelled with it.
///
/// A message is a value. A received message's ``source`` is the path it travelled, newest link first,
/// so any task can answer it with `sendTo(message.source, reply)`.
public struct Message: Sendable, Hashable {
    /// What a message stands for. Framed peers only ever produce ``data``; raw pipes also report their
    /// connection's start and end explicitly.
    public enum Kind: Sendable, Hashable {
        /// Ordinary content.
        case data
        /// A raw peer connected (no content).
        case connected
        /// A raw peer closed its sending side (no content).
        case endOfStream
    }

    /// What this message stands for.
    public var kind: Kind
    /// How the message is routed.
    public var sendType: SendType
    /// Flag bits other than the send type.
    public var flags: MessageFlags
    /// Hops the message may still take; decremented on every receipt.
    public var ttl: UInt8
    /// The links crossed so far, newest first. Its count is the frame's hop count.
    public var source: MessagePath
    /// The links still to take, for ``SendType/toDest`` messages.
    public var destination: MessagePath
    /// The payload.
    public var content: [UInt8]

    /// The default time-to-live of a freshly sent message.
    public static let defaultTTL: UInt8 = 16

    /// Creates a message.
    public init(
        content: [UInt8],
        sendType: SendType = .toOne,
        flags: MessageFlags = [],
        ttl: UInt8 = Message.defaultTTL,
        source: MessagePath = MessagePath(),
        destination: MessagePath = MessagePath(),
        kind: Kind = .data
    ) {
        self.kind = kind
        self.sendType = sendType
        self.flags = flags
        self.ttl = ttl
        self.source = source
        self.destination = destination
        self.content = content
    }

    /// The number of links the message crossed (the length of ``source``).
    public var hops: Int { source.count }

    /// The id of the local pipe the message arrived on, or `nil` for a message never received.
    public var pipeID: UInt32? { source.first }

    /// The encoded size of this message as a frame: `8 + 4·(hops + distance) + content`.
    public var frameSize: Int { 8 + 4 * (source.count + destination.count) + content.count }
}
