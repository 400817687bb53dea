/// The wire format's view of a path (``MultiSocketCodec``): ids as big-endian words, read and written
/// without an intermediate array or a copy of the path.
extension MessagePath {
    /// Creates a path from `count` big-endian ids stored at `bytes`, after `first` when given: what the
    /// codec decodes, read straight into the path's storage (inline when short enough, else one array).
    package init(first: UInt32?, bigEndianIDs bytes: UnsafeRawPointer, count: Int) {
        let lead = first == nil ? 0 : 1
        let total = lead + count
        func id(at position: Int) -> UInt32 {
            if position < lead, let first { return first }
            return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4 * (position - lead), as: UInt32.self))
        }
        switch total {
        case 0:
            storage = .empty
        case 1:
            storage = .one(id(at: 0))
        default:
            storage = .spilled([UInt32](unsafeUninitializedCapacity: total) { ids, initialized in
                for position in 0..<total { ids[position] = id(at: position) }
                initialized = total
            })
        }
    }

    /// Appends the ids, newest first, to `buffer` as big-endian bytes: what the codec encodes, read from
    /// the storage in place (iterating the path would copy it). The caller reserves the room.
    @inline(__always)
    package func appendBigEndian(to buffer: inout [UInt8]) {
        switch storage {
        case .empty:
            break
        case .one(let id):
            Self.appendBigEndian(id, to: &buffer)
        case .spilled(let ids):
            for id in ids { Self.appendBigEndian(id, to: &buffer) }
        }
    }

    /// Appends `value` in network byte order (the codec writes its length field with it too).
    @inline(__always)
    static func appendBigEndian(_ value: UInt32, to buffer: inout [UInt8]) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 24))
        buffer.append(UInt8(truncatingIfNeeded: value >> 16))
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }
}
