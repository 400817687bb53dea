/// The self-checking body of every soak message: who sent it, its place in that sender's stream, and a
/// checksum over both and over the payload, so a receiver can tell a corrupt message from a lost or
/// misordered one.
///
/// Layout (24-byte header, then the payload; integers big-endian):
/// `[kind u8][0 u8 ×3][peer u32][sequence u64][payload length u32][checksum u32][payload]`.
/// The checksum covers the first 20 bytes and the payload. The payload is derived from the peer and the
/// sequence number, so two messages never share their bytes.
public struct SoakStamp: Sendable, Hashable {
    /// What a message means to its receiver.
    public enum Kind: UInt8, Sendable {
        /// A counted message of the stream.
        case data = 0
        /// The sender's last message: ``SoakStamp/sequence`` is the number of data messages it sent.
        case bye = 1
    }

    /// The header's length in bytes.
    public static let headerSize = 24

    /// What the message means.
    public var kind: Kind
    /// The sender's id, unique within a run.
    public var peer: UInt32
    /// The message's number in its sender's stream, from 0 (for ``Kind/bye``: the count sent).
    public var sequence: UInt64

    /// Creates a stamp.
    public init(kind: Kind = .data, peer: UInt32, sequence: UInt64) {
        self.kind = kind
        self.peer = peer
        self.sequence = sequence
    }

    /// The message body: the header followed by `payloadSize` bytes derived from the stamp.
    public func encode(payloadSize: Int) -> [UInt8] {
        let total = Self.headerSize + payloadSize
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            buffer.initialize(repeating: 0)
            buffer[0] = kind.rawValue
            Self.store(UInt64(peer), into: buffer, at: 4, bytes: 4)
            Self.store(sequence, into: buffer, at: 8, bytes: 8)
            Self.store(UInt64(payloadSize), into: buffer, at: 16, bytes: 4)
            var seed = sequence &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(peer)
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = Self.headerSize
            while offset < total {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                if offset + 8 <= total {
                    raw.storeBytes(of: seed, toByteOffset: offset, as: UInt64.self)
                    offset += 8
                } else {
                    buffer[offset] = UInt8(truncatingIfNeeded: seed >> 56)
                    offset += 1
                }
            }
            let sum = Self.checksum(UnsafeRawBufferPointer(buffer))
            Self.store(UInt64(sum), into: buffer, at: 20, bytes: 4)
            initialized = total
        }
    }

    /// The stamp of a received body, or `nil` when the body is corrupt: too short, a length that does not
    /// match, an unknown kind or a wrong checksum.
    public static func decode(_ body: [UInt8]) -> SoakStamp? {
        body.withUnsafeBytes { raw -> SoakStamp? in
            guard raw.count >= headerSize, raw[1] == 0, raw[2] == 0, raw[3] == 0,
                  let kind = Kind(rawValue: raw[0]),
                  load(raw, at: 16, bytes: 4) == UInt64(raw.count - headerSize),
                  load(raw, at: 20, bytes: 4) == UInt64(checksum(raw))
            else { return nil }
            return SoakStamp(kind: kind, peer: UInt32(load(raw, at: 4, bytes: 4)), sequence: load(raw, at: 8, bytes: 8))
        }
    }

    /// A 32-bit hash of `bytes` without the checksum field (bytes 20..<24), eight bytes at a time.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ word: UInt64) {
            hash = (hash ^ word) &* 0x0000_0100_0000_01B3
            hash ^= hash >> 29
        }
        mix(bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        mix(bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        mix(UInt64(bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
        var offset = headerSize
        while offset + 8 <= bytes.count {
            mix(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        var tail: UInt64 = UInt64(bytes.count - offset) << 56
        var shift: UInt64 = 0
        while offset < bytes.count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        mix(tail)
        return UInt32(truncatingIfNeeded: hash ^ hash >> 32)
    }

    private static func store(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int,
                              bytes: Int) {
        for index in 0..<bytes {
            buffer[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(bytes - 1 - index)))
        }
    }

    private static func load(_ raw: UnsafeRawBufferPointer, at offset: Int, bytes: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<bytes { value = value << 8 | UInt64(raw[offset + index]) }
        return value
    }
}
