/// One SP message's body as the Scalability Protocols carry it — the protocol header, then the content —
/// mapped onto a ``Message``, for every SP transport mapping (``SPFraming`` adds the tcp and ipc length
/// prefixes).
///
/// Request/reply and survey carry a backtrace: 32-bit big-endian words, each hop a device pushed with the
/// high bit clear, ended by the request (survey) id with the high bit set. The hops map onto the message's
/// path and the id stays at the head of the content, where ``ProtocolHeader`` reads it:
/// - a responder (REP, RESPONDENT) receives a request as `source = [arrival pipe] + hops`, content
///   `id + body`, and sends a reply along its destination: the ids after the first (the pipe it leaves by)
///   become the hops of the reply's backtrace;
/// - a requester (REQ, SURVEYOR) sends its source ids (the pipes a forwarded request crossed in this
///   process; none for its own requests) as hops, and receives a reply as a to-destination message whose
///   destination is the reply's remaining hops, so a ``Switch`` forwards it back the way it came.
///
/// Other protocols carry no header: the body is the content. Pure value, any thread.
package struct SPMessageCodec: Sendable {
    /// The most hops a backtrace may carry before the message counts as expired (a routing loop); the
    /// message keeps a ttl of what is left of ``Message/defaultTTL``.
    package static let maxHops = Int(Message.defaultTTL) - 1
    /// The size of the request (survey) id a backtrace ends with, which stays in the content.
    private static let idSize = 4

    /// The protocol this side speaks.
    package let local: UInt16
    /// How `local`'s messages carry their backtrace.
    package let backtrace: SPProtocol.Backtrace
    /// The largest content accepted, or `nil` for no limit.
    package let maxContentLength: Int?

    /// A codec for a socket speaking `local`, rejecting content over `maxContentLength`.
    package init(local: UInt16, maxContentLength: Int?) {
        self.local = local
        self.backtrace = SPProtocol.backtrace(of: local)
        self.maxContentLength = maxContentLength
    }

    /// The longest body accepted: the content limit and a full backtrace.
    package var maxBodyLength: Int? {
        maxContentLength.map { $0 + 4 * (Self.maxHops + 1) }
    }

    /// The hop words `message` carries on the SP wire, as a path (nearest first).
    @inline(__always)
    private func hops(of message: Message) -> MessagePath {
        switch backtrace {
        case .none:
            return MessagePath()
        case .requester:
            return message.source
        case .responder:
            var hops = message.destination
            if !hops.isEmpty { hops.removeFirst() }
            return hops
        }
    }

    /// The size of `message`'s SP body (header words and content); `nil` for a message that does not go on
    /// the SP wire: a socket-internal one, or a role's ``MessageFlags/control`` message (such as a `Rep`'s
    /// failure answer), which SP peers have no way to tell from data.
    @inline(__always)
    package func bodyLength(of message: Message) -> Int? {
        guard message.flags.isDisjoint(with: [.internal, .control]) else { return nil }
        return 4 * hops(of: message).count + message.content.count
    }

    /// Appends `message`'s header words (everything but the content).
    ///
    /// - Throws: ``MultiSocketError`` `messageTooLarge` for a backtrace of more than ``maxHops`` hops.
    @inline(__always)
    package func appendHeader(_ message: Message, to buffer: inout [UInt8]) throws(MultiSocketError) {
        let hops = hops(of: message)
        guard hops.count <= Self.maxHops else {
            throw MultiSocketError(.messageTooLarge, "SP backtrace longer than \(Self.maxHops) hops")
        }
        hops.appendBigEndian(to: &buffer)
    }

    /// The message an SP body arriving on `pipeID` carries, or `nil` when its backtrace has more than
    /// ``maxHops`` hops (drop it, as an expired ttl).
    ///
    /// - Throws: ``FrameError/tooLarge(length:limit:)`` for content over the limit,
    ///   ``SPViolation/missingRequestID`` for a backtrace with no id at its bottom.
    package func decode(_ body: UnsafeRawBufferPointer, arrivingOn pipeID: UInt32) throws(FrameError) -> Message? {
        guard backtrace != .none else {
            if let limit = maxContentLength, body.count > limit { throw .tooLarge(length: body.count, limit: limit) }
            return Message(content: [UInt8](body), ttl: Message.defaultTTL - 1, source: [pipeID])
        }
        // The hops stay where they are: the path reads them straight from the body, big-endian.
        var hops = 0
        while true {
            let offset = 4 * hops
            guard offset + 4 <= body.count else { throw .scalabilityProtocols(.missingRequestID) }
            let word = UInt32(bigEndian: body.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            if word & 0x8000_0000 != 0 { break }
            guard hops < Self.maxHops else { return nil }
            hops += 1
        }
        if let limit = maxContentLength, body.count - 4 * hops > limit + Self.idSize {
            throw .tooLarge(length: body.count - 4 * hops, limit: limit)
        }
        let content = [UInt8](UnsafeRawBufferPointer(rebasing: body[(4 * hops)...]))
        let ttl = Message.defaultTTL - 1 - UInt8(hops)
        let base = body.baseAddress!  // at least the id's four bytes
        if backtrace == .responder {
            let source = MessagePath(first: pipeID, bigEndianIDs: base, count: hops)
            return Message(content: content, ttl: ttl, source: source)
        }
        return Message(content: content, sendType: .toDest, ttl: ttl, source: [pipeID],
                       destination: MessagePath(first: nil, bigEndianIDs: base, count: hops))
    }
}

