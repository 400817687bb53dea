import Glibc
import MultiSocket

/// A plain, blocking stream client (tcp or ipc) for talking to sockets without the library: raw peers,
/// malformed frames, peers that vanish mid-frame.
public final class PlainClient: @unchecked Sendable {
    private let fd: Int32

    /// Connects to a tcp or ipc address.
    public init(_ address: Address) throws {
        switch address {
        case .tcp(let host, let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_port = port.bigEndian
            inet_pton(AF_INET, host ?? "127.0.0.1", &target.sin_addr)
            let status = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard status == 0 else { throw MultiSocketError(.connectionRefused, "\(address)") }
        case .ipc(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var target = sockaddr_un()
            target.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &target.sun_path) { $0.copyBytes(from: path.utf8) }
            let status = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard status == 0 else { throw MultiSocketError(.connectionRefused, "\(address)") }
        case .inproc:
            throw MultiSocketError(.badAddress, "a plain client needs tcp or ipc")
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Reads exactly `count` bytes, or fewer if the peer closes first.
    public func read(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, count - offset) }
            if got <= 0 { break }
            offset += got
        }
        return Array(bytes.prefix(offset))
    }

    /// Blocks until the peer closes the connection; returns whether it did (rather than sending data).
    public func waitForClose() -> Bool {
        var byte: UInt8 = 0
        return Glibc.read(fd, &byte, 1) <= 0
    }

    /// Half-closes: the peer sees end of stream, reading still works.
    public func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the connection.
    public func close() {
        Glibc.close(fd)
    }
}
