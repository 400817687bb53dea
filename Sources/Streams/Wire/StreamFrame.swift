/// One stream-protocol frame: the content of one socket message between two stream endpoints.
///
/// Layout (DESIGN.md §15): `[kind u8][destination stream id u32 BE][source stream id u32 BE][payload]`.
/// Values only; decoding never allocates more than the message already holds. Any thread.
struct StreamFrame: Sendable {
    /// What a frame says.
    enum Kind: UInt8, Sendable {
        /// Open a stream: source = the connector's id, payload = its window (u32) + the listener name (UTF-8).
        case connect = 1
        /// The listener accepted: destination = the connector's id, source = the acceptor's id, payload = window.
        case accept = 2
        /// No stream: destination = the connector's id, payload = a ``RefuseReason`` byte.
        case refuse = 3
        /// Stream bytes.
        case data = 4
        /// The receiver consumed this many more bytes (u32): the writer may send them again.
        case credit = 5
        /// The sender will write no more (half-close); the receiver reads to end of stream.
        case closeWrite = 6
        /// The sender closed the stream both ways, or did not know it (payload: a ``CloseReason`` byte).
        case close = 7
        /// Are you there?
        case keepAlive = 8
        /// Yes.
        case keepAliveAck = 9
    }

    /// Why a connect was refused.
    enum RefuseReason: UInt8, Sendable {
        case noListener = 1
        case queueFull = 2
        case closing = 3
        case malformed = 4
    }

    /// Why a stream was closed.
    enum CloseReason: UInt8, Sendable {
        case normal = 0
        case unknownStream = 1
        case protocolViolation = 2
    }

    /// Bytes before the payload.
    static let headerSize = 9
    /// The longest listener name a connect may carry, in UTF-8 bytes.
    static let maxNameLength = 1024

    let kind: Kind
    let destination: UInt32
    let source: UInt32
    let payload: ArraySlice<UInt8>

    /// Decodes `content`, or `nil` when it is too short or names no kind.
    init?(_ content: [UInt8]) {
        guard content.count >= Self.headerSize, let kind = Kind(rawValue: content[0]) else { return nil }
        self.kind = kind
        destination = Self.u32(content, at: 1)
        source = Self.u32(content, at: 5)
        payload = content[Self.headerSize...]
    }

    /// The payload's first four bytes as a big-endian number, or `nil` if it is shorter.
    var leadingU32: UInt32? {
        guard payload.count >= 4 else { return nil }
        return Self.u32(Array(payload.prefix(4)), at: 0)
    }

    /// Encodes a frame.
    static func encode<Payload: Collection<UInt8>>(
        _ kind: Kind, destination: UInt32, source: UInt32, payload: Payload
    ) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(headerSize + payload.count)
        bytes.append(kind.rawValue)
        append(destination, to: &bytes)
        append(source, to: &bytes)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Encodes a frame with no payload.
    static func encode(_ kind: Kind, destination: UInt32, source: UInt32) -> [UInt8] {
        encode(kind, destination: destination, source: source, payload: EmptyCollection())
    }

    /// Appends `value` big-endian.
    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Four bytes big-endian from `offset` (the caller checked the length).
    static func u32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    /// A number as four big-endian bytes.
    static func bytes(_ value: UInt32) -> [UInt8] {
        var bytes = [UInt8]()
        append(value, to: &bytes)
        return bytes
    }
}
