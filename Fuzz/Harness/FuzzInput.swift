/// A fuzzer's input read from the front: a few configuration bytes, then the bytes under test.
///
/// A configuration byte past the end reads as 0, so every input, even the empty one, is a valid case.
package struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0

    /// Wraps the bytes libFuzzer handed over (copied: the decoders under test rewrite what they are given).
    package init(_ data: UnsafeRawBufferPointer) {
        bytes = Array(data)
    }

    /// The next configuration byte, or 0 when the input is used up.
    package mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// Everything not yet read.
    package var rest: [UInt8] { Array(bytes[min(position, bytes.count)...]) }
}
