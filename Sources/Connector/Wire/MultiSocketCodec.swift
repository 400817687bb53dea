/// The multisocket wire format, byte-exact with the Go library:
/// `[flags u8][ttl u8][hops u8][distance u8][length u32 BE][source: hops×u32 BE][destination: distance×u32 BE]`
/// `[content]`.
package struct MultiSocketCodec: Sendable {
    /// What ``decode(_:arrivingOn:)`` found at the start of a buffer.
    package enum DecodeResult: Sendable {
        /// A whole frame: the message it carried and the number of bytes it took.
        case message(Message, consumed: Int)
        /// A whole, well-formed frame whose ttl had run out: skip `consumed` bytes and count a drop.
        case expired(consumed: Int)
        /// Not a whole frame yet; `frameSize` is its total size once the header is known.
        case needMore(frameSize: Int?)
    }

    /// The size of the fixed header.
    package static let headerSize = 8

    /// The largest content accepted on receive, or `nil` for no limit.
    package var maxContentLength: Int?

    /// Creates a codec that rejects content longer than `maxContentLength` bytes (`nil`: no limit).
    package init(maxContentLength: Int? = 128 * 1024) {
        self.maxContentLength = maxContentLength
    }

    /// Appends the frame for `message` to `buffer`, exactly ``Message/frameSize`` bytes.
    ///
    /// - Throws: ``MultiSocketError`` `messageTooLarge` when a path has more than 255 ids or the content
    ///   more than `UInt32.max` bytes; nothing is appended then.
    package func encode(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) {
        try encodeHeader(message, into: &buffer, reserving: message.content.count)
        buffer.append(contentsOf: message.content)
    }

    /// Appends the fixed header and the path ids of `message`'s frame: everything but the content, which
    /// follows as it is. `reserving` more bytes are made room for after them. Nothing is appended when it
    /// throws.
    /// - Throws: ``MultiSocketError`` `messageTooLarge` for a path longer than 255 ids or content over 4 GiB.
    @inline(__always)
    package func encodeHeader(_ message: Message, into buffer: inout [UInt8],
                              reserving extra: Int) throws(MultiSocketError) {
        let hops = message.source.count
        let distance = message.destination.count
        guard hops <= 255, distance <= 255 else {
            throw MultiSocketError(.messageTooLarge, "path longer than 255 ids")
        }
        guard message.content.count <= Int(UInt32.max) else {
            throw MultiSocketError(.messageTooLarge, "content longer than 4 GiB")
        }
        // Grow once, geometrically: reserving exactly what each frame needs would reallocate (and copy
        // everything before it) on every frame appended to a buffer that is already full. Into that room the
        // header and ids go a byte at a time: growing the buffer by their size with zeros and storing words,
        // or appending them from a stack buffer, measured slower on Swift 6.3 (the generic
        // `append(contentsOf:)` costs more than the 8 + 4·ids single-byte appends it would replace).
        let needed = buffer.count + Self.headerSize + 4 * (hops + distance) + extra
        if needed > buffer.capacity { buffer.reserveCapacity(Swift.max(needed, 2 * buffer.capacity)) }
        buffer.append(message.flags.rawValue | message.sendType.rawValue)
        buffer.append(message.ttl)
        buffer.append(UInt8(hops))
        buffer.append(UInt8(distance))
        MessagePath.appendBigEndian(UInt32(message.content.count), to: &buffer)
        message.source.appendBigEndian(to: &buffer)
        message.destination.appendBigEndian(to: &buffer)
    }

    package func decode(
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
        let contentStart = Self.headerSize + 4 * (hops + distance)
        let frameSize = contentStart + length
        guard bytes.count >= frameSize else { return .needMore(frameSize: frameSize) }
        if ttl == 0 { return .expired(consumed: frameSize) }

        // The receive rule: the arrival pipe goes first in the source.
        let base = bytes.baseAddress!
        let source = MessagePath(first: pipeID, bigEndianIDs: base + Self.headerSize, count: hops)
        var destinationStart = Self.headerSize + 4 * hops
        var kept = distance
        if sendType == .toDest {
            // The first destination id named the sender's outgoing pipe; it means nothing here.
            destinationStart += 4
            kept -= 1
        }
        let destination = MessagePath(first: nil, bigEndianIDs: base + destinationStart, count: kept)
        let content = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[contentStart..<frameSize]))
        let message = Message(
            content: content,
            sendType: sendType,
            flags: MessageFlags(rawValue: first),
            ttl: ttl - 1,
            source: source,
            destination: destination
        )
        return .message(message, consumed: frameSize)
    }

    @inline(__always)
    private static func readBigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
