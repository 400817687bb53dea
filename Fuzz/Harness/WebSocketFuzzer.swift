import MultiSocketConnector

/// Area (b): RFC 6455 framing as a ws link decodes it, in both roles, framed and raw.
///
/// Input: `[mode][read-split seed][stream]`. Mode bit 0 picks the role (0 server, 1 client), bit 1 a raw
/// pipe, bits 2–3 the receive limit. The stream is decoded once from a single read and once in reads cut
/// by the seed, each with a fresh framing (it keeps the fragments of a message between calls); both must
/// agree, and every result must fit the bytes it came from and the limit.
package enum WebSocketFuzzer {
    static let pipeID: UInt32 = 0x0000_0F0F
    /// The longest RFC 6455 frame header: 2 bytes, an 8-byte length and a 4-byte masking key.
    static let longestHeader = 14
    /// The receive limits mode bits 2–3 pick from.
    static let limits: [Int?] = [64 * 1024, 200, nil, 64 * 1024]

    /// Checks `data`; throws the first property that did not hold.
    package static func run(_ data: UnsafeRawBufferPointer) throws(FuzzViolation) {
        var input = FuzzInput(data)
        let mode = input.byte()
        let seed = input.byte()
        let stream = input.rest
        let role: WebSocketFraming.Role = mode & 1 == 0 ? .server : .client
        let endpoint = EndpointOptions(maxReceiveSize: limits[Int(mode >> 2) & 3], raw: mode & 2 != 0)
        let options = PipeOptions(endpoint: endpoint, sendQueueSize: 1)

        let whole = try decode([stream[...]], role: role, options: options)
        let split = try decode(ChunkSizes.split(stream, seed: seed), role: role, options: options)
        try FuzzViolation.check(whole == split, "whole-buffer decoding \(whole) differs from split \(split)")
    }

    private static func decode(
        _ chunks: [ArraySlice<UInt8>],
        role: WebSocketFraming.Role,
        options: PipeOptions
    ) throws(FuzzViolation) -> [StreamEvent<WebSocketFraming.Reply>] {
        var framing = WebSocketFraming(role: role, options: options)
        let driver = StreamDriver(minimumUnit: 2, longestHeader: longestHeader,
                                  largestUnit: framing.limit + longestHeader)
        return try driver.run(chunks) { (result: StreamDecodeResult<WebSocketFraming.Reply>, _) throws(FuzzViolation) in
            try check(result, options: options)
        } decode: { bytes throws(FrameError) in
            try framing.decode(bytes, arrivingOn: pipeID)
        }
    }

    /// A delivered message must fit the limit and carry the arrival pipe; replies must be valid control
    /// frames (a pong's payload at most 125 bytes, a close code that may go on the wire).
    private static func check(
        _ result: StreamDecodeResult<WebSocketFraming.Reply>,
        options: PipeOptions
    ) throws(FuzzViolation) {
        switch result {
        case .message(let message, _):
            let limit = options.maxReceiveSize ?? Int(UInt32.max)
            try FuzzViolation.check(message.content.count <= limit,
                                    "content of \(message.content.count) bytes over the limit \(limit)")
            try FuzzViolation.check(message.source.first == pipeID, "source \(message.source) lacks the pipe")
            // A framed peer's flags travel as sent (a raw bit from one only stops a Switch forwarding it).
            if options.raw { try FuzzViolation.check(message.flags == .raw, "raw pipe message flags \(message.flags)") }
        case .expired:
            try FuzzViolation.check(!options.raw, "a raw pipe reported an expired frame")
        case .consumed(_, let reply), .peerClosed(_, let reply):
            switch reply {
            case .pong(let payload)?:
                try FuzzViolation.check(payload.count <= 125, "pong of \(payload.count) bytes")
            case .close(let code)?:
                if let code {
                    let sendable = [1000...1003, 1007...1014, 3000...4999].contains { $0.contains(code) }
                    try FuzzViolation.check(sendable, "close code \(code) may not be sent")
                }
            case nil:
                break
            }
        case .needMore:
            break
        }
    }
}
