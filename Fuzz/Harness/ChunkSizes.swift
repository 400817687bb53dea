/// The sizes of the reads a stream arrives in, as a link sees them: derived from one seed byte so the
/// fuzzer explores splits along with contents.
///
/// Seed 0 delivers the whole stream in one read; 1 delivers a byte at a time; any other seed gives a
/// pseudo-random sequence of reads of 1 up to `seed` bytes (xorshift, reproducible from the seed).
package struct ChunkSizes {
    private let seed: UInt8
    private var state: UInt32

    /// The read sizes for `seed`.
    package init(seed: UInt8) {
        self.seed = seed
        state = 0x9E37_79B9 ^ UInt32(seed)
    }

    /// The size of the next read when `remaining` bytes are still to come (`remaining` > 0).
    package mutating func next(remaining: Int) -> Int {
        switch seed {
        case 0: return remaining
        case 1: return 1
        default:
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return min(remaining, Int(state % UInt32(seed)) + 1)
        }
    }

    /// `stream` cut into reads.
    package static func split(_ stream: [UInt8], seed: UInt8) -> [ArraySlice<UInt8>] {
        var sizes = ChunkSizes(seed: seed)
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < stream.count {
            let size = sizes.next(remaining: stream.count - start)
            chunks.append(stream[start..<start + size])
            start += size
        }
        return chunks
    }
}
