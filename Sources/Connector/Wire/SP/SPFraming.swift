/// The sp+tcp and sp+ipc framing: after the peer's 8-byte SP header (``SPHeaderPreamble``, left at the head of
/// the stream), each message is a 64-bit big-endian length and the SP body (``SPMessageCodec``); on ipc a
/// type byte 1 goes before the length.
///
/// The length is checked against the content limit from the header, before anything is allocated. The
/// peer's header is the first unit decoded: one that fits this socket's protocol is consumed; one that does
/// not is delivered as the socket-internal hello of the peer's protocol (``PeerHello``), which a socket with
/// a ``ProtocolIdentity`` refuses (counted in `pipesRefused`, reported as `pipeRefused`, pipe closed), and
/// anything after it closes the pipe with ``SPViolation/protocolMismatch(local:peer:)``. Socket-internal
/// messages (the hello this socket sends) do not go on the SP wire.
package struct SPFraming: StreamFraming {
    /// Which length prefix the mapping uses.
    package enum Mapping: Sendable {
        /// A 64-bit length (sp-tcp-mapping).
        case tcp
        /// A type byte 1, then a 64-bit length (sp-ipc-mapping).
        case ipc
    }

    typealias Reply = Never

    static var framesRawContent: Bool { true }

    /// The length prefix this framing writes and reads.
    package let mapping: Mapping
    private let codec: SPMessageCodec
    private let prefixSize: Int

    // The receiving half's state.
    /// The peer's connection header is still at the head of the stream.
    private var awaitingPeerHeader = true
    /// The peer's protocol did not fit: whatever it sends next closes the pipe.
    private var mismatchedPeer: UInt16?

    /// The framing for a socket announcing `local` over `mapping`, with `options`' receive limit.
    package init(mapping: Mapping, local: UInt16, options: PipeOptions) {
        self.mapping = mapping
        self.codec = SPMessageCodec(local: local, maxContentLength: options.maxReceiveSize)
        self.prefixSize = mapping == .ipc ? 9 : 8
    }

    var maxUnitSize: Int? { codec.maxBodyLength.map { $0 + prefixSize } }

    var isMidMessage: Bool { false }

    // MARK: Encoding

    package mutating func encode(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) {
        guard try encodeHeader(message, into: &buffer) else { return }
        buffer.append(contentsOf: message.content)
    }

    /// Appends the length prefix and the header words; `false` (nothing appended) for a socket-internal
    /// message, which has no SP form.
    @inline(__always)
    package func encodeHeader(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) -> Bool {
        guard let length = codec.bodyLength(of: message) else { return false }
        let start = buffer.count
        appendPrefix(length, to: &buffer)
        do throws(MultiSocketError) {
            try codec.appendHeader(message, to: &buffer)
        } catch {
            buffer.removeSubrange(start...)
            throw error
        }
        return true
    }

    mutating func encode(rawContent content: [UInt8], into buffer: inout [UInt8]) {
        appendPrefix(content.count, to: &buffer)
        buffer.append(contentsOf: content)
    }

    func encode(reply: Never, into buffer: inout [UInt8]) {}

    func encodeClose(reason: FrameError?, into buffer: inout [UInt8]) {}

    @inline(__always)
    private func appendPrefix(_ length: Int, to buffer: inout [UInt8]) {
        if mapping == .ipc { buffer.append(1) }
        let value = UInt64(length)
        for shift in stride(from: 56, through: 0, by: -8) {
            buffer.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    // MARK: Decoding

    package mutating func decode(
        _ bytes: UnsafeMutableRawBufferPointer,
        arrivingOn pipeID: UInt32
    ) throws(FrameError) -> StreamDecodeResult<Never> {
        if awaitingPeerHeader { return peerHeader(bytes, pipeID) }
        if let peer = mismatchedPeer {
            throw .scalabilityProtocols(.protocolMismatch(local: codec.local, peer: peer))
        }
        guard bytes.count >= prefixSize else { return .needMore(frameSize: nil) }
        if mapping == .ipc, bytes[0] != 1 { throw .scalabilityProtocols(.unknownMessageType(bytes[0])) }
        let length = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: prefixSize - 8, as: UInt64.self))
        if let limit = codec.maxBodyLength, length > UInt64(limit) {
            throw .tooLarge(length: Int(clamping: length), limit: codec.maxContentLength ?? limit)
        }
        guard length <= UInt64(Int.max - prefixSize) else {
            throw .tooLarge(length: Int(clamping: length), limit: Int.max - prefixSize)
        }
        let frameSize = prefixSize + Int(length)
        guard bytes.count >= frameSize else { return .needMore(frameSize: frameSize) }
        let body = UnsafeRawBufferPointer(rebasing: bytes[prefixSize..<frameSize])
        guard let message = try codec.decode(body, arrivingOn: pipeID) else { return .expired(consumed: frameSize) }
        return .message(message, consumed: frameSize)
    }

    /// The peer's SP header, already checked for form by the preamble: consumed when it fits, else handed
    /// up as the hello of the peer's protocol.
    private mutating func peerHeader(_ bytes: UnsafeMutableRawBufferPointer,
                                     _ pipeID: UInt32) -> StreamDecodeResult<Never> {
        guard bytes.count >= SPHeaderPreamble.size else { return .needMore(frameSize: SPHeaderPreamble.size) }
        awaitingPeerHeader = false
        let peer = SPHeaderPreamble.protocolNumber(in: UnsafeRawBufferPointer(bytes)) ?? 0
        if SPProtocol.fits(codec.local, peer) { return .consumed(SPHeaderPreamble.size, reply: nil) }
        mismatchedPeer = peer
        let hello = Message(content: PeerHello.content(id: peer, peer: SPProtocol.partner(of: peer) ?? 0xFFFF),
                            flags: .internal, ttl: 1, source: [pipeID])
        return .message(hello, consumed: SPHeaderPreamble.size)
    }
}
