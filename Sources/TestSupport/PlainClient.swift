import Foundation
import Glibc
import MultiSocket
import Synchronization

/// A plain blocking stream client (tcp on loopback, or ipc), for sending hand-made (often malformed)
/// bytes and for playing a raw peer. Reads run on a thread of their own, keeping the cooperative pool free.
public final class PlainClient: Sendable {
    /// How a read ended.
    public enum ReadEnd: Sendable, Equatable {
        /// The peer closed the connection (EOF or reset); `bytes` arrived before.
        case closed(bytes: Int)
        /// Nothing ended the connection within the receive timeout.
        case timedOut(bytes: Int)
        /// Another error.
        case failed(errno: Int32)

        /// Whether the connection was closed by the peer.
        public var isClosed: Bool {
            if case .closed = self { return true }
            return false
        }
    }

    private let fd: Int32
    private let open = Atomic(true)

    /// Connects to a tcp or ws (loopback) or ipc address. `timeout` bounds each blocking read.
    public convenience init(_ address: Address, timeout seconds: Int = 10) throws {
        if let port = address.port {
            try self.init(port: port, timeout: seconds)
        } else if address.scheme == "ipc" {
            try self.init(path: address.path, timeout: seconds)
        } else {
            throw MultiSocketError(.badAddress, "a plain client needs tcp, ws or ipc")
        }
    }

    /// Connects to the Unix-domain socket at `path`.
    public init(path: String, timeout seconds: Int = 10) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var target = sockaddr_un()
        target.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &target.sun_path) { $0.copyBytes(from: path.utf8) }
        let status = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            Glibc.close(fd)
            throw MultiSocketError(.connectionRefused, "connect to ipc://\(path)")
        }
    }

    /// Wraps a connection accepted by a ``PlainListener``.
    init(accepted: Int32, timeout seconds: Int) {
        fd = accepted
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Connects to 127.0.0.1:`port`. `timeout` bounds each blocking read.
    public init(port: UInt16, timeout seconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MultiSocketError(.systemError, "socket: \(errno)") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let error = errno
            Glibc.close(fd)
            throw MultiSocketError(.connectionRefused, "connect to port \(port): errno \(error)")
        }
    }

    deinit { close() }

    /// Writes all of `bytes` (blocking).
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw MultiSocketError(.systemError, "write: errno \(errno)")
            }
            offset += written
        }
    }

    /// Reads until the peer closes the connection or the receive timeout passes, on a thread of its own.
    public func readUntilClosed() async -> ReadEnd {
        let fd = self.fd
        return await offloaded {
            var total = 0
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if count > 0 {
                    total += count
                    continue
                }
                if count == 0 { return .closed(bytes: total) }
                let error = errno
                if error == EINTR { continue }
                if error == ECONNRESET { return .closed(bytes: total) }
                if error == EAGAIN || error == EWOULDBLOCK { return .timedOut(bytes: total) }
                return .failed(errno: error)
            }
        }
    }

    /// Reads exactly `count` bytes (fewer if the connection ends or the receive timeout passes first).
    public func read(count: Int) async -> [UInt8] {
        let fd = self.fd
        return await offloaded {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
                if got > 0 {
                    filled += got
                } else if got < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            return Array(bytes.prefix(filled))
        }
    }

    /// Reads up to and including the blank line that ends an HTTP header (or until the connection ends, the
    /// receive timeout passes, or `limit` bytes arrived), one byte at a time so nothing after it is taken.
    public func readHeader(limit: Int = 16 * 1024) async -> [UInt8] {
        let fd = self.fd
        return await offloaded {
            var bytes: [UInt8] = []
            var byte: UInt8 = 0
            while bytes.count < limit && !(bytes.count >= 4 && bytes.suffix(4) == [13, 10, 13, 10]) {
                let got = Glibc.read(fd, &byte, 1)
                if got == 1 {
                    bytes.append(byte)
                } else if got < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            return bytes
        }
    }

    /// Writes what the kernel takes now of `bytes[offset...]` (at most `limit` bytes) without blocking, as a
    /// writer on a non-blocking socket does; returns the bytes taken, 0 when the socket buffer is full, -1 when
    /// the connection failed.
    public func writeAvailable(_ bytes: [UInt8], from offset: Int = 0, upTo limit: Int = .max) -> Int {
        while true {
            let written = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, min($0.count - offset, limit),
                           Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written >= 0 { return written }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1
        }
    }

    /// Waits up to `milliseconds` for the socket to take more bytes; returns whether it will.
    public func waitWritable(milliseconds: Int32) async -> Bool {
        let fd = self.fd
        return await offloaded {
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            return poll(&entry, 1, milliseconds) == 1 && entry.revents & Int16(POLLOUT) != 0
        }
    }

    /// How a ``flood(_:segment:stall:)`` ended.
    public enum FloodEnd: Sendable, Equatable {
        /// Everything was written.
        case complete
        /// The peer took nothing for the stall time.
        case stalled
        /// The connection failed (the peer closed or reset it).
        case failed
    }

    /// Writes `bytes` as fast as a non-blocking writer can, at most `segment` bytes per system call (small
    /// segments make a readiness event on the peer for each), until everything is written, the peer has
    /// taken nothing for `stall` milliseconds, or the connection fails. Returns the bytes written and why it
    /// stopped.
    public func flood(_ bytes: [UInt8], segment: Int = 1 << 20,
                      stall: Int32 = 300) async -> (written: Int, end: FloodEnd) {
        var offset = 0
        while offset < bytes.count {
            let written = writeAvailable(bytes, from: offset, upTo: segment)
            if written < 0 { return (offset, .failed) }
            offset += written
            if written == 0, !(await waitWritable(milliseconds: stall)) { return (offset, .stalled) }
        }
        return (offset, .complete)
    }

    /// Closes the connection with a reset (`SO_LINGER` 0), as a peer that crashed or left data unread does.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Half-closes: the peer sees end of stream; reading still works.
    public func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the connection; idempotent.
    public func close() {
        if open.exchange(false, ordering: .acquiringAndReleasing) { Glibc.close(fd) }
    }
}
