import Glibc
@_spi(Internals) @testable import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// ``SocketStream``, the ``ByteStream`` under tcp, ipc and ws links, over a socketpair: each result of read
/// and write, the gathered write, shutdown and close.
@Suite(.timeLimit(.minutes(1)))
struct ByteStreamTests {
    private func read(_ stream: SocketStream, max: Int = 4096) -> (ByteStreamRead, [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: max)
        let result = buffer.withUnsafeMutableBytes { stream.read(into: $0) }
        if case .bytes(let count) = result { return (result, Array(buffer[..<count])) }
        return (result, [])
    }

    @Test func readReturnsBytesThenWouldBlockThenTheEnd() throws {
        let (a, b) = try socketPair()
        defer { close(a) }
        let stream = SocketStream(descriptor: b)
        #expect(read(stream).0 == .wouldBlock)
        try writeAll(a, [1, 2, 3, 4, 5])
        #expect(stream.unreadByteCount() == 5)
        let (first, bytes) = read(stream, max: 3)
        #expect(first == .bytes(3) && bytes == [1, 2, 3])
        #expect(read(stream) == (.bytes(2), [4, 5]))
        #expect(read(stream).0 == .wouldBlock)
        shutdown(a, Int32(SHUT_WR))
        #expect(read(stream).0 == .end)
        #expect(stream.pendingFailure() == nil)
        stream.close(sendingFirst: [])
    }

    /// A peer that closes with bytes of ours unread resets the connection: what it sent before still
    /// arrives, then the read fails with ``ByteStreamError/reset`` — a failure, not a clean end — and the
    /// pending error says so after an error event.
    @Test func aResetIsAFailureNotAnEnd() throws {
        let (a, b) = try socketPair()
        let stream = SocketStream(descriptor: b)
        try writeAll(a, [7, 8])
        try writeAll(b, [9])  // left unread by the peer
        close(a)
        #expect(read(stream) == (.bytes(2), [7, 8]))
        #expect(read(stream).0 == .failed(.reset))
        stream.close(sendingFirst: [])

        let (c, d) = try socketPair()
        let other = SocketStream(descriptor: d)
        try writeAll(d, [1])
        close(c)
        #expect(other.pendingFailure() == .reset)
        other.close(sendingFirst: [])
    }

    @Test func writingToAClosedPeerFails() throws {
        let (a, b) = try socketPair()
        let stream = SocketStream(descriptor: b)
        close(a)
        let result = [UInt8]([1, 2, 3]).withUnsafeBytes { bytes in
            var segment = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), iov_len: 3)
            return withUnsafePointer(to: &segment) { stream.write(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        #expect(result == .failed(.system(EPIPE)))
        stream.close(sendingFirst: [])
    }

    /// Several segments go out in order in one call; a full kernel buffer takes part of them, then nothing
    /// (`wouldBlock`), and the rest follows once the peer reads.
    @Test func gatheredWriteTakesSegmentsInOrderAndPartly() async throws {
        let (a, b) = try socketPair()
        defer { close(a) }
        var small: Int32 = 4096
        setsockopt(b, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let stream = SocketStream(descriptor: b)
        defer { stream.close(sendingFirst: []) }
        // Three segments of one buffer: a small head, a large content, a small tail.
        let expected = (0..<200_005).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count, alignment: 16)
        defer { storage.deallocate() }
        storage.copyBytes(from: expected)
        let bounds = [0, 3, 200_003, 200_005]

        var offset = 0
        var sawWouldBlock = false
        var received: [UInt8] = []
        while received.count < expected.count {
            if offset < expected.count {
                switch writeSegments(of: storage, bounds: bounds, from: offset, to: stream) {
                case .wrote(let count):
                    #expect(count > 0)
                    offset += count
                case .wouldBlock:
                    sawWouldBlock = true
                case .failed(let error):
                    Issue.record("write failed: \(error)")
                    return
                }
            }
            if sawWouldBlock || offset == expected.count {
                received += try #require(await readExactly(a, min(65536, offset - received.count)))
            }
        }
        #expect(sawWouldBlock)
        #expect(received == expected)
    }

    /// The segments of `storage` between consecutive `bounds`, from byte `offset` on, written with one call.
    private func writeSegments(of storage: UnsafeMutableRawBufferPointer, bounds: [Int], from offset: Int,
                               to stream: SocketStream) -> ByteStreamWrite {
        var vectors: [iovec] = []
        for (start, end) in zip(bounds, bounds.dropFirst()) where end > offset {
            let from = max(start, offset)
            vectors.append(iovec(iov_base: storage.baseAddress! + from, iov_len: end - from))
        }
        return vectors.withUnsafeBufferPointer { stream.write($0) }
    }

    @Test func shutdownEndsTheWriteSideOnly() async throws {
        let (a, b) = try socketPair()
        defer { close(a) }
        let stream = SocketStream(descriptor: b)
        stream.shutdownWrite()
        #expect(await readsEnd(a))
        try writeAll(a, [42])
        #expect(read(stream) == (.bytes(1), [42]))
        stream.close(sendingFirst: [])
    }

    @Test func closeSendsTheGoodbyeFirst() async throws {
        let (a, b) = try socketPair()
        defer { close(a) }
        let stream = SocketStream(descriptor: b)
        stream.close(sendingFirst: [0x88, 0x00])
        #expect(await readExactly(a, 2) == [0x88, 0x00])
        #expect(await readsEnd(a))
    }
}
