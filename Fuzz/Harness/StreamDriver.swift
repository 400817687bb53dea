import MultiSocketConnector

/// Runs a ``StreamFraming``-style decoder over a stream the way `StreamLink.parseBuffered` does: reads are
/// appended to one buffer, and the decoder is called on the unconsumed bytes until it asks for more,
/// advancing by what it says it consumed. Each result is checked against the bytes it was given.
package struct StreamDriver {
    /// The fewest bytes a unit can take (the fixed header).
    package var minimumUnit: Int
    /// Below this many bytes a decoder may ask for more without knowing the unit's size.
    package var longestHeader: Int
    /// The largest unit size a decoder may announce: the buffer a link grows to never exceeds it.
    package var largestUnit: Int

    /// Creates a driver with the bounds every result must respect.
    package init(minimumUnit: Int, longestHeader: Int, largestUnit: Int) {
        self.minimumUnit = minimumUnit
        self.longestHeader = longestHeader
        self.largestUnit = largestUnit
    }

    /// Feeds `chunks` to `decode`, in order, and returns what happened; `inspect` checks each result
    /// further, given how many bytes the decoder was handed.
    package func run<Reply: Sendable & Equatable>(
        _ chunks: [ArraySlice<UInt8>],
        inspect: (StreamDecodeResult<Reply>, _ available: Int) throws(FuzzViolation) -> Void,
        decode: (UnsafeMutableRawBufferPointer) throws(FrameError) -> StreamDecodeResult<Reply>
    ) throws(FuzzViolation) -> [StreamEvent<Reply>] {
        var buffer: [UInt8] = []
        var original: [UInt8] = []  // the stream as received, to check that unconsumed bytes are left alone
        var start = 0
        var events: [StreamEvent<Reply>] = []
        for chunk in chunks {
            buffer.append(contentsOf: chunk)
            original.append(contentsOf: chunk)
            while start < buffer.count {
                let available = buffer.count - start
                let outcome = buffer.withUnsafeMutableBytes { raw in
                    Result { () throws(FrameError) in
                        try decode(UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
                    }
                }
                let result: StreamDecodeResult<Reply>
                switch outcome {
                case .failure(let error):
                    events.append(.rejected(error))
                    return events
                case .success(let decoded):
                    result = decoded
                }
                try inspect(result, available)
                let consumed: Int
                switch result {
                case .message(let message, let count):
                    consumed = count
                    events.append(.message(message, consumed: count))
                case .expired(let count):
                    consumed = count
                    events.append(.expired(consumed: count))
                case .consumed(let count, let reply):
                    consumed = count
                    events.append(.consumed(count, reply: reply))
                case .peerClosed(let count, let reply):
                    try checkConsumed(count, available: available)
                    events.append(.peerClosed(consumed: count, reply: reply))
                    return events
                case .needMore(let frameSize):
                    if let frameSize {
                        try FuzzViolation.check(frameSize > available,
                                                "needMore(\(frameSize)) with \(available) bytes available")
                        try FuzzViolation.check(frameSize <= largestUnit,
                                                "needMore(\(frameSize)) over the largest unit \(largestUnit)")
                    } else {
                        try FuzzViolation.check(available < longestHeader,
                                                "needMore(nil) with \(available) bytes: a whole header")
                    }
                    try checkUntouched(buffer, original, from: start)
                    consumed = 0
                }
                if consumed == 0 { break }
                try checkConsumed(consumed, available: available)
                start += consumed
                try checkUntouched(buffer, original, from: start)
            }
        }
        events.append(.pending(buffer.count - start))
        return events
    }

    private func checkConsumed(_ consumed: Int, available: Int) throws(FuzzViolation) {
        try FuzzViolation.check(consumed >= minimumUnit && consumed <= available,
                                "consumed \(consumed) of \(available) bytes (a unit takes \(minimumUnit) or more)")
    }

    /// The next unit's first bytes, which the decoder has not consumed, must be as they arrived.
    private func checkUntouched(_ buffer: [UInt8], _ original: [UInt8], from start: Int) throws(FuzzViolation) {
        let end = min(buffer.count, start + longestHeader)
        try FuzzViolation.check(buffer[start..<end] == original[start..<end],
                                "unconsumed bytes at \(start) were rewritten")
    }
}
