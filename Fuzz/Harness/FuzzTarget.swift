/// The five fuzzed areas, each one libFuzzer executable (`Fuzz/Targets/<name>`) with its own corpus
/// (`Fuzz/Corpus/<name>`).
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// The multisocket frame decoder (``FrameFuzzer``).
    case frames = "Frames"
    /// WebSocket framing in both roles (``WebSocketFuzzer``).
    case webSocket = "WebSocket"
    /// The WebSocket opening handshake (``HandshakeFuzzer``).
    case handshake = "Handshake"
    /// The address parser (``AddressFuzzer``).
    case address = "Address"
    /// The Scalability Protocols framing (``SPFrameFuzzer``).
    case spFrames = "SPFrames"

    /// Checks one input; throws the first property that did not hold. A crash in the code under test
    /// crashes here too.
    package func check(_ data: UnsafeRawBufferPointer) throws(FuzzViolation) {
        switch self {
        case .frames: try FrameFuzzer.run(data)
        case .webSocket: try WebSocketFuzzer.run(data)
        case .handshake: try HandshakeFuzzer.run(data)
        case .address: try AddressFuzzer.run(data)
        case .spFrames: try SPFrameFuzzer.run(data)
        }
    }

    /// libFuzzer's view of ``check(_:)``: a property that does not hold stops the process like a crash, so
    /// the fuzzer saves the input.
    package func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        do {
            try check(UnsafeRawBufferPointer(start: data, count: size))
        } catch {
            fatalError("\(rawValue) fuzz check failed: \(error)")
        }
        return 0
    }
}
