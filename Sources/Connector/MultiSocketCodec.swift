/// The multisocket wire format, byte-exact with the Go library:
/// `[flags u8][ttl u8][hops u8][distance u8][length u32 BE][source: hops×u32 BE][destination: distance×u32 BE]`
/// `[content]`.
public struct MultiSocketCodec: FrameCodec {
    /// The size of the fixed header.
    public static let headerSize = 8

    /// The largest content accepted on receive, or `nil` for no limit.
    public var maxContentLength: Int?

    /// Creates a codec that rejects content longer than `maxContentLength` bytes (`nil`: no limit).
    public init(maxContentLength: Int? = 128 * 1024) {
        self.maxContentLength = maxContentLength
    }

    public func encode(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) {
        let hops = message.source.count
        let distance = message.destination.count
        guard hops <= 255, distance <= 255 else {
            throw MultiSocketError(.messageTooLarge, "path longer than 255 ids")
        }
        guard message.content.count <= Int(UInt32.max) else {
            throw MultiSocketError(.messageTooLarge, "content longer than 4 GiB")
        }
        buffer.reserveCapacity(buffer.count + message.frameSize)
        buffer.append(message.flags.rawValue | message.sendType.rawValue)
        buffer.append(message.ttl)
        buffer.append(UInt8(hops))
        buffer.append(UInt8(distance))
        Self.appendBigEndian(UInt32(message.content.count), to: &buffer)
        for id in message.source.ids { Self.appendBigEndian(id, to: &buffer) }
        for id in message.destination.ids { Self.appendBigEndian(id, to: &buffer) }
        buffer.append(contentsOf: message.content)
    }

    public func decode(
        _ bytes: UnsafeRawBufferPointer,
        arrivingOn pipeID: UInt32
    ) throws(FrameError) -> DecodeResult {
        guard bytes.count >= Self.headerSize else { return .needMore(frameSize: nil) }
        let first = bytes[0]
        guard let sendType = SendType(rawValue: first & 0x03) else { throw .invalidSendType }
        let ttl = bytes[1]
        let hops = Int(bytes[2])
        let distance = Int(bytes[3])
        let length = Int(Self.readBigEndian(bytes, at: 4))
        if let limit = maxContentLength, length > limit { throw .tooLarge(length: length, limit: limit) }
        if hops == 255 { throw .hopsOverflow }
        if sendType == .toDest && distance == 0 { throw .missingDestination }
        let frameSize = Self.headerSize + 4 * (hops + distance) + length
        guard bytes.count >= frameSize else { return .needMore(frameSize: frameSize) }
        if ttl == 0 { return .expired(consumed: frameSize) }

        var source = [UInt32]()
        source.reserveCapacity(hops + 1)
        source.append(pipeID)
        var offset = Self.headerSize
        for _ in 0..<hops {
            source.append(Self.readBigEndian(bytes, at: offset))
            offset += 4
        }
        var destination = [UInt32]()
        if distance > 0 {
            // The first destination id named the sender's outgoing pipe; it means nothing here.
            let kept = sendType == .toDest ? distance - 1 : distance
            if sendType == .toDest { offset += 4 }
            destination.reserveCapacity(kept)
            for _ in 0..<kept {
                destination.append(Self.readBigEndian(bytes, at: offset))
                offset += 4
            }
        }
        let content = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
        let message = Message(
            content: content,
            sendType: sendType,
            flags: MessageFlags(rawValue: first),
            ttl: ttl - 1,
            source: MessagePath(source),
            destination: MessagePath(destination)
        )
        return .message(message, consumed: frameSize)
    }

    @inline(__always)
    private static func appendBigEndian(_ value: UInt32, to buffer: inout [UInt8]) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 24))
        buffer.append(UInt8(truncatingIfNeeded: value >> 16))
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    private static func readBigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
