/// The tcp and ipc framing: multisocket frames back to back on the stream (``MultiSocketCodec``), and raw
/// content as the bare byte stream.
package struct MultiSocketFraming: StreamFraming {
    typealias Reply = Never

    static var framesRawContent: Bool { false }

    private let codec: MultiSocketCodec

    package init(options: PipeOptions) {
        codec = MultiSocketCodec(maxContentLength: options.maxReceiveSize)
    }

    /// The content limit plus the longest header (254 source ids, 255 destination ids).
    var maxUnitSize: Int? { codec.maxContentLength.map { $0 + WebSocketFraming.frameOverhead } }

    var isMidMessage: Bool { false }

    @inline(__always)
    func encode(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) {
        try codec.encode(message, into: &buffer)
    }

    @inline(__always)
    func encodeHeader(_ message: Message, into buffer: inout [UInt8]) throws(MultiSocketError) -> Bool {
        try codec.encodeHeader(message, into: &buffer, reserving: 0)
        return true
    }

    @inline(__always)
    func encode(rawContent content: [UInt8], into buffer: inout [UInt8]) {
        buffer.append(contentsOf: content)
    }

    func encode(reply: Never, into buffer: inout [UInt8]) {}

    @inline(__always)
    func encodeClose(reason: FrameError?, into buffer: inout [UInt8]) {}

    @inline(__always)
    package func decode(
        _ bytes: UnsafeMutableRawBufferPointer,
        arrivingOn pipeID: UInt32
    ) throws(FrameError) -> StreamDecodeResult<Never> {
        switch try codec.decode(UnsafeRawBufferPointer(bytes), arrivingOn: pipeID) {
        case .message(let message, let consumed): .message(message, consumed: consumed)
        case .expired(let consumed): .expired(consumed: consumed)
        case .needMore(let frameSize): .needMore(frameSize: frameSize)
        }
    }
}
