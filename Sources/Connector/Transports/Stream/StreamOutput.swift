import Glibc

/// Bytes waiting to be written to a stream socket, and how far the writer got.
///
/// Small frames are copied into one buffer. A large content is held by reference and spliced in after the
/// bytes before it, so a large message is not copied before the kernel copies it: the writer hands the
/// kernel the buffer and the contents together (one gathered ``ByteStream/write(_:)``, `sendmsg` on a socket).
struct StreamOutput {
    /// A content written from where it lies, after `bytes[..<offset]`.
    private struct Splice {
        let offset: Int
        let content: [UInt8]
    }

    /// The copied bytes; frames are encoded at its end.
    var bytes: [UInt8] = []
    private var splices: [Splice] = []
    private var splicedCount = 0
    // The writer's position: in `bytes`, the splices done, and the bytes done of the next splice.
    private var head = 0
    private var spliceIndex = 0
    private var spliceHead = 0

    /// Contents at least this long are spliced rather than copied.
    static var spliceThreshold: Int { 16 * 1024 }
    /// The most splices one system call takes.
    private static var splicesPerWrite: Int { 8 }

    /// All bytes queued, copied and spliced.
    var count: Int { bytes.count + splicedCount }

    /// Whether nothing is queued.
    var isEmpty: Bool { bytes.isEmpty && splices.isEmpty }

    /// Whether the writer has written everything queued.
    var isWritten: Bool { head == bytes.count && spliceIndex == splices.count }

    /// Queues `content` (not empty) by reference after the bytes queued so far.
    mutating func splice(_ content: [UInt8]) {
        splices.append(Splice(offset: bytes.count, content: content))
        splicedCount += content.count
    }

    /// Forgets everything queued and written, keeping the buffer's capacity when `keepingCapacity`.
    mutating func removeAll(keepingCapacity: Bool) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        splices.removeAll(keepingCapacity: true)
        splicedCount = 0
        head = 0
        spliceIndex = 0
        spliceHead = 0
    }

    /// Writes what it can from the writer's position with one call of `stream`'s gathered write (one system
    /// call for a socket) and advances past what the stream took. Runs on the thread holding the link's
    /// writer role.
    mutating func write(to stream: any ByteStream) -> ByteStreamWrite {
        let result = bytes.withUnsafeBytes { buffer -> ByteStreamWrite in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2 * Self.splicesPerWrite + 1) { vectors in
                gather(from: buffer, position: head, splice: spliceIndex, into: vectors, used: 0, stream: stream)
            }
        }
        if case .wrote(let count) = result { advance(by: count) }
        return result
    }

    /// Adds the segments from `position` in `bytes` and splice `splice` onwards to `vectors`, then writes
    /// them. Each content's pointer is taken in a closure that stays open until the call returns.
    private func gather(from buffer: UnsafeRawBufferPointer, position: Int, splice: Int,
                        into vectors: UnsafeMutableBufferPointer<iovec>, used: Int,
                        stream: any ByteStream) -> ByteStreamWrite {
        var used = used
        let end = splice < splices.count ? splices[splice].offset : buffer.count
        if end > position {
            vectors[used] = iovec(iov_base: UnsafeMutableRawPointer(mutating: buffer.baseAddress! + position),
                                  iov_len: end - position)
            used += 1
        }
        guard splice < splices.count, splice - spliceIndex < Self.splicesPerWrite else {
            return stream.write(UnsafeBufferPointer(rebasing: vectors[..<used]))
        }
        // Only the splice at the writer's position can be partly written.
        let skip = splice == spliceIndex ? spliceHead : 0
        return splices[splice].content.withUnsafeBytes { content in
            vectors[used] = iovec(iov_base: UnsafeMutableRawPointer(mutating: content.baseAddress! + skip),
                                  iov_len: content.count - skip)
            return gather(from: buffer, position: end, splice: splice + 1, into: vectors, used: used + 1,
                          stream: stream)
        }
    }

    /// Moves the writer's position `count` bytes on.
    private mutating func advance(by count: Int) {
        var left = count
        while left > 0 {
            if spliceIndex < splices.count && head == splices[spliceIndex].offset {
                let rest = splices[spliceIndex].content.count - spliceHead
                if left < rest {
                    spliceHead += left
                    return
                }
                left -= rest
                spliceIndex += 1
                spliceHead = 0
            } else {
                let end = spliceIndex < splices.count ? splices[spliceIndex].offset : bytes.count
                let step = min(left, end - head)
                head += step
                left -= step
            }
        }
    }
}
