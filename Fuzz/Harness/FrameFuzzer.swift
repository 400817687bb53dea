import MultiSocketConnector

/// Area (a): the multisocket frame decoder, ``MultiSocketCodec`` and the tcp/ipc link framing built on it.
///
/// Input: `[limit selector][read-split seed][stream]`. The stream is decoded frame after frame with the
/// codec over the whole buffer, and again with `MultiSocketFraming` fed in reads cut by the seed; both must
/// agree, and every result must fit the bytes it came from and the receive limit.
package enum FrameFuzzer {
    /// The pipe frames arrive on: the receive rule puts it first in each source path.
    static let pipeID: UInt32 = 0xA1B2_C3D4
    /// The most a frame adds to its content: the fixed header and 254 source plus 255 destination ids.
    static let overhead = MultiSocketCodec.headerSize + 4 * (254 + 255)

    /// The receive limits the selector byte picks from: a small configured one, a tiny one that lets short
    /// inputs reach the limit, and none.
    static let limits: [Int?] = [64 * 1024, 200, nil]

    /// Checks `data`; throws the first property that did not hold.
    package static func run(_ data: UnsafeRawBufferPointer) throws(FuzzViolation) {
        var input = FuzzInput(data)
        let limit = limits[Int(input.byte()) % limits.count]
        let seed = input.byte()
        let stream = input.rest
        let driver = StreamDriver(
            minimumUnit: MultiSocketCodec.headerSize,
            longestHeader: MultiSocketCodec.headerSize,
            largestUnit: (limit ?? Int(UInt32.max)) + overhead
        )
        let inspect = { (result: StreamDecodeResult<Never>, available: Int) throws(FuzzViolation) in
            try check(result, limit: limit)
        }

        let codec = MultiSocketCodec(maxContentLength: limit)
        let whole = try driver.run([stream[...]], inspect: inspect) { bytes throws(FrameError) in
            switch try codec.decode(UnsafeRawBufferPointer(bytes), arrivingOn: pipeID) {
            case .message(let message, let consumed): .message(message, consumed: consumed)
            case .expired(let consumed): .expired(consumed: consumed)
            case .needMore(let frameSize): .needMore(frameSize: frameSize)
            }
        }

        let framing = MultiSocketFraming(
            options: PipeOptions(endpoint: EndpointOptions(maxReceiveSize: limit), sendQueueSize: 1))
        let split = try driver.run(ChunkSizes.split(stream, seed: seed), inspect: inspect) { bytes throws(FrameError) in
            try framing.decode(bytes, arrivingOn: pipeID)
        }
        try FuzzViolation.check(whole == split, "whole-buffer decoding \(whole) differs from split \(split)")
    }

    /// A decoded frame must describe itself: its source starts with the arrival pipe, its content is
    /// within the limit, and re-encoding it takes what was consumed (one id more in the source, one fewer
    /// in a to-destination frame's destination).
    private static func check(_ result: StreamDecodeResult<Never>, limit: Int?) throws(FuzzViolation) {
        switch result {
        case .message(let message, let consumed):
            if let limit {
                try FuzzViolation.check(message.content.count <= limit,
                                        "content of \(message.content.count) bytes over the limit \(limit)")
            }
            try FuzzViolation.check(message.source.first == pipeID, "source \(message.source) lacks the pipe")
            try FuzzViolation.check(message.source.count <= 255, "source of \(message.source.count) ids")
            try FuzzViolation.check(message.destination.count <= 255, "destination of \(message.destination.count)")
            try FuzzViolation.check(message.ttl < 255, "ttl \(message.ttl) not decremented")
            let removed = message.sendType == .toDest ? 4 : 0
            try FuzzViolation.check(message.frameSize == consumed + 4 - removed,
                                    "frame of \(consumed) bytes decoded to a message of \(message.frameSize)")
        case .expired(let consumed):
            try FuzzViolation.check(consumed <= (limit ?? Int(UInt32.max)) + overhead, "expired frame of \(consumed)")
        case .needMore, .consumed, .peerClosed:
            break
        }
    }
}
