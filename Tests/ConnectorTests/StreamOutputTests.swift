import Glibc
@testable import MultiSocketConnector
import Testing

/// ``StreamOutput``: copied bytes and spliced contents reach the stream in order, whole, also when the
/// kernel takes them a little at a time.
@Suite(.timeLimit(.minutes(1)))
struct StreamOutputTests {
    /// A content whose every byte depends on its position and on `seed`, so a misplaced byte shows.
    private func pattern(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ $0 >> 8) }
    }

    @Test(arguments: [
        // Copied and spliced segments interleaved; two splices back to back at one offset; more splices
        // than one system call takes.
        [3, 20_000, 5, 70_000, 70_000, 1],
        [0, 16_384, 0, 16_384, 0, 16_384, 0, 16_384, 0, 16_384, 0, 16_384, 0, 16_384, 0, 16_384, 0, 16_384, 2],
        [0, 100_000],
    ])
    func everythingArrivesInOrderThroughPartialWrites(lengths: [Int]) async throws {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        defer { for fd in fds { close(fd) } }
        // A small kernel buffer, so writes stop inside copied bytes and inside spliced contents.
        var small: Int32 = 4096
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))

        // The stream does not own the descriptors here: the test closes them.
        let stream = SocketStream(descriptor: fds[0])
        var output = StreamOutput()
        var expected: [UInt8] = []
        // Even positions are copied bytes, odd positions spliced contents (when long enough to splice).
        for (index, length) in lengths.enumerated() {
            let content = pattern(length, seed: index)
            expected += content
            if index % 2 == 1 && length >= StreamOutput.spliceThreshold {
                output.splice(content)
            } else {
                output.bytes += content
            }
        }
        #expect(output.count == expected.count)

        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        var partialWrites = 0
        while !output.isWritten || received.count < expected.count {
            if !output.isWritten {
                switch output.write(to: stream) {
                case .wrote: partialWrites += 1
                case .wouldBlock: break
                case .failed(let error): Issue.record("write failed: \(error)")
                }
            }
            let count = chunk.withUnsafeMutableBytes { read(fds[1], $0.baseAddress!, $0.count) }
            if count > 0 { received += chunk[..<count] }
        }
        #expect(received.count == expected.count)
        let firstWrong = zip(received, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstWrong == nil)
        #expect(partialWrites > 1)
    }

    @Test func removeAllStartsOver() {
        var output = StreamOutput()
        output.bytes = [1, 2, 3]
        output.splice(pattern(StreamOutput.spliceThreshold, seed: 1))
        output.removeAll(keepingCapacity: true)
        #expect(output.isEmpty && output.isWritten && output.count == 0)
    }
}
