import Foundation
import Glibc
import MultiSocket
import Synchronization

/// A fast deterministic-per-seed generator (SplitMix64), so debug builds make random content quickly.
public struct FastRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Seeds from the system generator unless a seed is given.
    public init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                var word = next()
                for _ in 0..<min(8, count - index) {
                    buffer[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
            initialized = count
        }
    }
}
