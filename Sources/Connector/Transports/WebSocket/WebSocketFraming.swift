/// RFC 6455 data framing for ws pipes: each message is one binary WebSocket message whose payload is one
/// multisocket frame (``MultiSocketCodec``), on the SP wire one SP message (``SPMessageCodec``; socket-internal
/// messages are not sent), or, on a raw pipe, the plain content.
///
/// Clients mask what they send and servers do not; each side rejects frames masked the wrong way.
/// Fragmented messages are reassembled (control frames may come between the fragments), pings are
/// answered with pongs, a close frame is answered with a close frame and ends the link, text messages and
/// anything RFC 6455 forbids are rejected. The size limit is checked from the length field and the running
/// total of fragments, before anything is buffered.
package struct WebSocketFraming: StreamFraming {
    /// Which end of the connection this is.
    package enum Role: Sendable {
        /// The end that dialed: masks its frames.
        case client
        /// The end that accepted: never masks.
        case server
    }

    /// A control frame to send back.
    package enum Reply: Sendable, Equatable {
        /// Answers a ping with its payload.
        case pong([UInt8])
        /// Answers a close frame, echoing its status code (none when it had none).
        case close(code: UInt16?)
    }

    enum Opcode {
        static let continuation: UInt8 = 0x0
        static let text: UInt8 = 0x1
        static let binary: UInt8 = 0x2
        static let close: UInt8 = 0x8
        static let ping: UInt8 = 0x9
        static let pong: UInt8 = 0xA
    }

    /// The most a multisocket frame adds to its content: the fixed header and the longest valid paths
    /// (254 source ids, 255 destination ids).
    package static let frameOverhead = MultiSocketCodec.headerSize + 4 * (254 + 255)

    static var framesRawContent: Bool { true }

    let role: Role
    let raw: Bool
    /// The longest message payload accepted.
    package let limit: Int
    private let codec: MultiSocketCodec
    /// The SP body codec on an sp+ws pipe, `nil` for multisocket frames.
    private let sp: SPMessageCodec?

    // The sending half's state.
    private var maskGenerator: UInt64

    // The receiving half's state.
    private var fragments: [UInt8] = []
    private var fragmenting = false

    package init(role: Role, options: PipeOptions) {
        self.role = role
        self.raw = options.raw
        self.codec = MultiSocketCodec(maxContentLength: options.maxReceiveSize)
        self.sp = options.scalabilityProtocols
            ? options.spProtocol.map { SPMessageCodec(local: $0, maxContentLength: options.maxReceiveSize) } : nil
        let content = options.maxReceiveSize ?? Int(UInt32.max)
        self.limit = raw ? content : content + Self.frameOverhead
        self.maskGenerator = role == .client ? UInt64.random(in: 0...UInt64.max) : 0
    }

    /// The payload limit plus the longest WebSocket frame header; `nil` only when nothing limits content.
    var maxUnitSize: Int? { limit >= Int(UInt32.max) ? nil : limit + 14 }

    var isMidMessage: Bool { fragmenting }

    // MARK: Encoding

    mutating func encode(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) {
        let start = buffer.count
        if let sp {
            guard let length = sp.bodyLength(of: message) else { return }
            let key = appendHeader(opcode: Opcode.binary, length: length, to: &buffer)
            let payloadStart = buffer.count
            do throws(MultiSocketError) {
                try sp.appendHeader(message, to: &buffer)
            } catch {
                buffer.removeSubrange(start...)
                throw error
            }
            buffer.append(contentsOf: message.content)
            if let key { Self.mask(&buffer, from: payloadStart, key: key) }
            return
        }
        let key = appendHeader(opcode: Opcode.binary, length: message.frameSize, to: &buffer)
        let payloadStart = buffer.count
        do throws(MultiSocketError) {
            try codec.encode(message, into: &buffer)
        } catch {
            buffer.removeSubrange(start...)
            throw error
        }
        if let key { Self.mask(&buffer, from: payloadStart, key: key) }
    }

    /// Always `false`: a client masks the content, and ws links copy it either way.
    func encodeHeader(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) -> Bool {
        false
    }

    mutating func encode(rawContent content: [UInt8], into buffer: inout [UInt8]) {
        appendFrame(opcode: Opcode.binary, payload: content, to: &buffer)
    }

    mutating func encode(reply: Reply, into buffer: inout [UInt8]) {
        switch reply {
        case .pong(let payload): appendFrame(opcode: Opcode.pong, payload: payload, to: &buffer)
        case .close(let code): appendFrame(opcode: Opcode.close, payload: code.map(Self.bigEndian) ?? [], to: &buffer)
        }
    }

    mutating func encodeClose(reason: FrameError?, into buffer: inout [UInt8]) {
        appendFrame(opcode: Opcode.close, payload: Self.bigEndian(Self.closeCode(for: reason)), to: &buffer)
    }

    /// The close status for a link ending because of `reason` (RFC 6455 §7.4.1).
    static func closeCode(for reason: FrameError?) -> UInt16 {
        switch reason {
        case nil: 1000
        case .webSocket(.textMessage): 1003
        case .webSocket(.messageTooLarge), .tooLarge: 1009
        default: 1002
        }
    }

    private mutating func appendFrame(opcode: UInt8, payload: [UInt8], to buffer: inout [UInt8]) {
        let key = appendHeader(opcode: opcode, length: payload.count, to: &buffer)
        let payloadStart = buffer.count
        buffer.append(contentsOf: payload)
        if let key { Self.mask(&buffer, from: payloadStart, key: key) }
    }

    /// Appends a final frame's header; returns the masking key when this end masks (and has appended it).
    private mutating func appendHeader(opcode: UInt8, length: Int, to buffer: inout [UInt8]) -> UInt64? {
        // Geometric growth: reserving exactly what each frame needs would copy everything queued before it on
        // every frame appended to a full buffer (quadratic under a flood of small frames).
        let needed = buffer.count + 14 + length
        if needed > buffer.capacity { buffer.reserveCapacity(Swift.max(needed, 2 * buffer.capacity)) }
        buffer.append(0x80 | opcode)
        let maskBit: UInt8 = role == .client ? 0x80 : 0
        if length < 126 {
            buffer.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            buffer.append(maskBit | 126)
            buffer.append(UInt8(truncatingIfNeeded: length >> 8))
            buffer.append(UInt8(truncatingIfNeeded: length))
        } else {
            buffer.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: length >> shift))
            }
        }
        guard role == .client else { return nil }
        let key = UInt32(truncatingIfNeeded: nextMaskWord())
        let keyBytes = Self.bigEndian(key)
        buffer.append(contentsOf: keyBytes)
        // The key as it sits in memory, twice: XOR-ing it word by word masks eight bytes at a time.
        return UInt64(key.bigEndian) | UInt64(key.bigEndian) << 32
    }

    /// SplitMix64: unpredictable enough for masking keys, whose purpose (RFC 6455 §10.3) is to keep a
    /// client's bytes from being chosen by a script, not secrecy.
    private mutating func nextMaskWord() -> UInt64 {
        maskGenerator &+= 0x9E37_79B9_7F4A_7C15
        var z = maskGenerator
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func mask(_ buffer: inout [UInt8], from start: Int, key: UInt64) {
        buffer.withUnsafeMutableBytes { bytes in
            mask(UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), key: key)
        }
    }

    /// XORs `bytes` with the masking key (given as its four bytes in memory order, twice).
    static func mask(_ bytes: UnsafeMutableRawBufferPointer, key: UInt64) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            base.storeBytes(of: word ^ key, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        withUnsafeBytes(of: key) { keyBytes in
            while offset < bytes.count {
                bytes[offset] ^= keyBytes[offset & 3]
                offset += 1
            }
        }
    }

    private static func bigEndian(_ value: UInt16) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    // MARK: Decoding

    package mutating func decode(
        _ bytes: UnsafeMutableRawBufferPointer,
        arrivingOn pipeID: UInt32
    ) throws(FrameError) -> StreamDecodeResult<Reply> {
        guard bytes.count >= 2 else { return .needMore(frameSize: nil) }
        let first = bytes[0]
        let second = bytes[1]
        let isFinal = first & 0x80 != 0
        let opcode = first & 0x0F
        let isMasked = second & 0x80 != 0
        if first & 0x70 != 0 { throw .webSocket(.reservedBitsSet) }
        if role == .server && !isMasked { throw .webSocket(.unmaskedClientFrame) }
        if role == .client && isMasked { throw .webSocket(.maskedServerFrame) }

        var headerSize = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard bytes.count >= 4 else { return .needMore(frameSize: nil) }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            headerSize = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return .needMore(frameSize: nil) }
            var value: UInt64 = 0
            for index in 2..<10 { value = value << 8 | UInt64(bytes[index]) }
            guard value >> 63 == 0 else { throw .webSocket(.invalidLength) }
            length = Int(value)
            headerSize = 10
        }
        if isMasked { headerSize += 4 }

        // Everything is decided from the header, before the payload is waited for or buffered.
        switch opcode {
        case Opcode.binary:
            if fragmenting { throw .webSocket(.unfinishedMessage) }
            if length > limit { throw .webSocket(.messageTooLarge(length: length, limit: limit)) }
        case Opcode.continuation:
            guard fragmenting else { throw .webSocket(.unexpectedContinuation) }
            if length > limit - fragments.count {
                let total = length > Int.max - fragments.count ? Int.max : fragments.count + length
                throw .webSocket(.messageTooLarge(length: total, limit: limit))
            }
        case Opcode.text:
            throw .webSocket(.textMessage)
        case Opcode.close, Opcode.ping, Opcode.pong:
            guard isFinal, length <= 125 else { throw .webSocket(.malformedControlFrame) }
            if opcode == Opcode.close && length == 1 { throw .webSocket(.invalidClosePayload) }
        default:
            throw .webSocket(.reservedOpcode(opcode))
        }
        let frameSize = headerSize + length
        guard bytes.count >= frameSize else { return .needMore(frameSize: frameSize) }

        let payload = UnsafeMutableRawBufferPointer(rebasing: bytes[headerSize..<frameSize])
        if isMasked {
            let key = bytes.baseAddress!.loadUnaligned(fromByteOffset: headerSize - 4, as: UInt32.self)
            Self.mask(payload, key: UInt64(key) | UInt64(key) << 32)
        }

        switch opcode {
        case Opcode.binary where isFinal:
            return try message(in: UnsafeRawBufferPointer(payload), frameSize: frameSize, pipeID: pipeID)
        case Opcode.binary:
            fragments = [UInt8](payload)
            fragmenting = true
            return .consumed(frameSize, reply: nil)
        case Opcode.continuation:
            fragments.append(contentsOf: payload)
            guard isFinal else { return .consumed(frameSize, reply: nil) }
            let whole = fragments
            fragments = []
            fragmenting = false
            let result = whole.withUnsafeBytes { payload in
                Result { () throws(FrameError) in try message(in: payload, frameSize: frameSize, pipeID: pipeID) }
            }
            return try result.get()
        case Opcode.ping:
            return .consumed(frameSize, reply: .pong([UInt8](payload)))
        case Opcode.pong:
            return .consumed(frameSize, reply: nil)
        default:  // close
            let code = length >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
            return .peerClosed(consumed: frameSize, reply: .close(code: code.map(Self.echoedCloseCode)))
        }
    }

    /// The status to answer a close frame with: its own when it may be sent on the wire, else 1002.
    static func echoedCloseCode(_ code: UInt16) -> UInt16 {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: code
        default: 1002
        }
    }

    /// The message a whole WebSocket message's payload carries; `frameSize` is what its last frame took.
    private func message(
        in payload: UnsafeRawBufferPointer,
        frameSize: Int,
        pipeID: UInt32
    ) throws(FrameError) -> StreamDecodeResult<Reply> {
        if raw {
            let message = Message(content: [UInt8](payload), flags: .raw, ttl: Message.defaultTTL - 1, source: [pipeID])
            return .message(message, consumed: frameSize)
        }
        if let sp {
            guard let message = try sp.decode(payload, arrivingOn: pipeID) else { return .expired(consumed: frameSize) }
            return .message(message, consumed: frameSize)
        }
        switch try codec.decode(payload, arrivingOn: pipeID) {
        case .message(let message, let consumed):
            guard consumed == payload.count else { throw .lengthMismatch(expected: consumed, actual: payload.count) }
            return .message(message, consumed: frameSize)
        case .expired(let consumed):
            guard consumed == payload.count else { throw .lengthMismatch(expected: consumed, actual: payload.count) }
            return .expired(consumed: frameSize)
        case .needMore(let expected):
            throw .lengthMismatch(expected: expected ?? MultiSocketCodec.headerSize, actual: payload.count)
        }
    }
}
