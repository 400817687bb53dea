import MultiSocketConnector

/// Area (e): the Scalability Protocols framing, ``SPFraming`` over tcp and ipc, with the backtrace mapping of
/// ``SPMessageCodec``.
///
/// Input: `[configuration][read-split seed][stream]`. The configuration's bit 0 picks the mapping (tcp, ipc),
/// bits 1–2 the receive limit (64 KiB, 200 bytes, none), bits 3–5 this side's protocol (pair, sub, req, rep,
/// surveyor, respondent), and bit 6 a peer header of an incompatible protocol; the harness puts that peer's
/// header before the stream, as the header exchange leaves it. The stream is decoded over the whole buffer and
/// again fed in reads cut by the seed; both must agree, and every message must fit the limit and carry its
/// backtrace as a path of at most 15 hops.
package enum SPFrameFuzzer {
    /// The pipe units arrive on.
    static let pipeID: UInt32 = 0x0A1B_2C3D
    static let limits: [Int?] = [64 * 1024, 200, nil]
    static let protocols: [UInt16] = [0x10, 0x21, 0x30, 0x31, 0x62, 0x63]

    /// Checks `data`; throws the first property that did not hold.
    package static func run(_ data: UnsafeRawBufferPointer) throws(FuzzViolation) {
        var input = FuzzInput(data)
        let configuration = input.byte()
        let seed = input.byte()
        let mapping: SPFraming.Mapping = configuration & 1 == 0 ? .tcp : .ipc
        let limit = limits[Int(configuration >> 1 & 3) % limits.count]
        let local = protocols[Int(configuration >> 3 & 7) % protocols.count]
        let mismatched = configuration & 0x40 != 0
        let peer = mismatched ? 0x70 : SPProtocol.partner(of: local) ?? local  // bus fits none of `protocols`
        let stream = SPHeaderPreamble.header(announcing: peer) + input.rest
        let options = PipeOptions(endpoint: EndpointOptions(maxReceiveSize: limit), sendQueueSize: 1)
        let driver = StreamDriver(
            minimumUnit: SPHeaderPreamble.size,
            longestHeader: mapping == .ipc ? 9 : 8,
            largestUnit: limit.map { $0 + 4 * (SPMessageCodec.maxHops + 1) + 9 } ?? Int.max
        )
        let backtrace = SPProtocol.backtrace(of: local)
        let inspect = { (result: StreamDecodeResult<Never>, available: Int) throws(FuzzViolation) in
            try check(result, limit: limit, backtrace: backtrace)
        }
        var whole = SPFraming(mapping: mapping, local: local, options: options)
        let once = try driver.run([stream[...]], inspect: inspect) { bytes throws(FrameError) in
            try whole.decode(bytes, arrivingOn: pipeID)
        }
        var split = SPFraming(mapping: mapping, local: local, options: options)
        let pieces = try driver.run(ChunkSizes.split(stream, seed: seed), inspect: inspect) { bytes throws(FrameError) in
            try split.decode(bytes, arrivingOn: pipeID)
        }
        try FuzzViolation.check(once == pieces, "whole-buffer decoding \(once) differs from split \(pieces)")
        if mismatched {
            guard case .message(let hello, _)? = once.first else {
                throw FuzzViolation("an incompatible peer's header gave \(String(describing: once.first))")
            }
            try FuzzViolation.check(hello.flags.contains(.internal), "an incompatible peer's header not a hello")
        }
    }

    /// A message must fit the limit (the request id may come on top) and carry its hops as a path: a
    /// responder's source is the pipe and at most 15 hops, a requester's reply names the hops as its
    /// destination.
    private static func check(_ result: StreamDecodeResult<Never>, limit: Int?,
                              backtrace: SPProtocol.Backtrace) throws(FuzzViolation) {
        guard case .message(let message, _) = result, !message.flags.contains(.internal) else { return }
        if let limit {
            try FuzzViolation.check(message.content.count <= limit + 4,
                                    "content of \(message.content.count) bytes over the limit \(limit)")
        }
        try FuzzViolation.check(message.source.first == pipeID, "source \(message.source) lacks the pipe")
        switch backtrace {
        case .none:
            try FuzzViolation.check(message.source.count == 1 && message.destination.isEmpty, "a path on \(message)")
        case .responder:
            try FuzzViolation.check(message.source.count <= SPMessageCodec.maxHops + 1, "source \(message.source)")
            try FuzzViolation.check(message.content.first.map { $0 & 0x80 != 0 } == true, "no request id first")
        case .requester:
            try FuzzViolation.check(message.source.count == 1, "a reply's source \(message.source)")
            try FuzzViolation.check(message.destination.count <= SPMessageCodec.maxHops, "\(message.destination)")
            try FuzzViolation.check(message.content.first.map { $0 & 0x80 != 0 } == true, "no request id first")
        }
    }
}
