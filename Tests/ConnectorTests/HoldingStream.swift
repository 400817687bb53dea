import Glibc
@testable import MultiSocketConnector

/// A ``ByteStream`` that behaves as a TLS stream does towards the link: it reads ahead from its socket into
/// a buffer of its own and hands out at most `readSize` bytes per read (bytes it holds raise no readiness
/// event), and it takes at most `writeSize` bytes per write.
final class HoldingStream: ByteStream, @unchecked Sendable {
    private let socket: SocketStream
    private let readSize: Int
    private let writeSize: Int
    // Read side: the link's reactor thread only.
    private var held: [UInt8] = []
    private var heldStart = 0

    init(descriptor: Int32, readSize: Int, writeSize: Int) {
        socket = SocketStream(descriptor: descriptor)
        self.readSize = readSize
        self.writeSize = writeSize
    }

    var descriptor: Int32 { socket.descriptor }
    var holdsReadBytes: Bool { true }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ByteStreamRead {
        if heldStart == held.count {
            held = [UInt8](repeating: 0, count: 65536)
            heldStart = 0
            let result = held.withUnsafeMutableBytes { socket.read(into: $0) }
            guard case .bytes(let count) = result else {
                held = []
                return result
            }
            held.removeSubrange(count...)
        }
        let count = min(readSize, buffer.count, held.count - heldStart)
        buffer.copyBytes(from: held[heldStart..<heldStart + count])
        heldStart += count
        return .bytes(count)
    }

    func write(_ segments: UnsafeBufferPointer<iovec>) -> ByteStreamWrite {
        var first = segments[0]
        first.iov_len = min(first.iov_len, writeSize)
        return withUnsafePointer(to: &first) { socket.write(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    func shutdownWrite() { socket.shutdownWrite() }
    func unreadByteCount() -> Int { held.count - heldStart + socket.unreadByteCount() }
    func pendingFailure() -> ByteStreamError? { socket.pendingFailure() }
    func close(sendingFirst goodbye: [UInt8]) { socket.close(sendingFirst: goodbye) }
}
