import Foundation
import Glibc
import MultiSocket
import Synchronization

/// Whether two byte arrays are equal, compared with `memcmp` (fast in debug builds).
public func sameBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    if lhs.isEmpty { return true }
    return lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
}

/// `count` bytes of `pool` from `offset`, copied with `memcpy`, with `stamp` written big-endian into the
/// first four bytes when there is room.
public func slice(of pool: [UInt8], offset: Int, count: Int, stamp: UInt32? = nil) -> [UInt8] {
    precondition(offset + count <= pool.count)
    // An empty result must not go through `unsafeUninitializedCapacity`: with capacity 0 it writes the
    // shared empty-array storage, which the thread sanitizer reports as a race between tests.
    guard count > 0 else { return [] }
    var bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        pool.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
        }
        initialized = count
    }
    if let stamp, count >= 4 {
        bytes[0] = UInt8(truncatingIfNeeded: stamp >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: stamp >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: stamp >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: stamp)
    }
    return bytes
}

/// The big-endian `UInt32` in the first four bytes of `bytes`.
public func stamp(of bytes: [UInt8]) -> UInt32? {
    guard bytes.count >= 4 else { return nil }
    return UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
}

/// The four big-endian bytes of `value`.
public func bigEndianBytes(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
     UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

/// The port of a bound tcp or ws address.
public func port(of address: Address) -> UInt16? {
    address.port
}

/// Runs blocking work on a thread of its own. Not on Dispatch's global queue: on Linux that queue's threads
/// also run the cooperative pool, so a few blocked readers could starve the very tasks they wait for.
public func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// `chunk` repeated `count` times, back to back (a flood of identical frames).
public func repeated(_ chunk: [UInt8], count: Int) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(chunk.count * count)
    for _ in 0..<count { bytes.append(contentsOf: chunk) }
    return bytes
}
