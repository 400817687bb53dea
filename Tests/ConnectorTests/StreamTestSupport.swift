import Glibc
@_spi(Internals) @testable import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// A connected pair of non-blocking Unix stream sockets, closed by the test that made it.
func socketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    try #require(socketpair(AF_UNIX, type, 0, &fds) == 0)
    return (fds[0], fds[1])
}

/// Writes all of `bytes` to the non-blocking socket `fd` (the tests write far less than its buffer holds).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
    try #require(sent == bytes.count)
}

/// Reads from the non-blocking socket `fd` until `count` bytes arrived or the stream ended, waiting for each
/// chunk with `poll` (no sleeping) on a thread of its own, never a cooperative-pool thread that other tests'
/// tasks need; `nil` when it ended before. The caller bounds the wait with a time limit.
func readExactly(_ fd: Int32, _ count: Int) async -> [UInt8]? {
    await offloaded { blockingReadExactly(fd, count) }
}

private func blockingReadExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while received.count < count {
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&waiting, 1, 1000)
        let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, min($0.count, count - received.count)) }
        if got > 0 {
            received += chunk[..<got]
        } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
            return nil
        }
    }
    return received
}

/// Whether the peer of `fd` ended the stream, waiting for it with `poll` on a thread of its own (bytes before
/// the end are discarded).
func readsEnd(_ fd: Int32) async -> Bool {
    await offloaded { blockingReadsEnd(fd) }
}

private func blockingReadsEnd(_ fd: Int32) -> Bool {
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&waiting, 1, 1000)
        let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if got == 0 { return true }
        if got < 0 && errno != EAGAIN && errno != EINTR { return false }
    }
}

/// One reactor for the stream tests.
let streamTestReactor = ReactorGroup(threads: 1, name: "stream-tests").reactors[0]

/// Pipe options for a framed test link.
let streamTestOptions = PipeOptions(endpoint: EndpointOptions(maxReceiveSize: 1 << 20, tcpNoDelay: false), sendQueueSize: 64)

/// The bytes of `message` as a multisocket frame.
func frame(_ message: Message) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try MultiSocketFraming(options: streamTestOptions).encode(message, into: &bytes)
    return bytes
}
