import CMultiSocketShims
import Glibc

/// A ``ByteStream`` over a connected, non-blocking stream socket (tcp, ipc, and ws under its framing): each
/// call is one system call on the descriptor, with nothing buffered in between.
///
/// The stream owns its descriptor from ``init(descriptor:)`` on and closes it in ``close(sendingFirst:)``.
/// Threads and results are as ``ByteStream`` documents them.
public final class SocketStream: ByteStream {
    /// The socket; the reactor reports its readiness.
    public let descriptor: Int32

    /// Wraps the connected, non-blocking socket `descriptor`, which the stream now owns.
    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// `false`: a socket holds nothing between the kernel and the caller.
    public var holdsReadBytes: Bool { false }

    /// One `read(2)`: bytes, `wouldBlock` on `EAGAIN`, `end` on end of file, `failed` otherwise (`reset` for
    /// `ECONNRESET`). Reactor thread.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> ByteStreamRead {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress!, buffer.count)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .end }
            let error = cms_errno()
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return .wouldBlock }
            return .failed(ByteStreamError(errno: error))
        }
    }

    /// One `send(2)` (a single segment) or `sendmsg(2)` (several), with `MSG_NOSIGNAL`: the bytes the kernel
    /// took, `wouldBlock` on `EAGAIN`, `failed` otherwise (`EPIPE` after the peer closed, `reset` for
    /// `ECONNRESET`). The thread holding the link's writer role.
    public func write(_ segments: UnsafeBufferPointer<iovec>) -> ByteStreamWrite {
        while true {
            let count: Int
            if segments.count == 1 {
                count = Glibc.send(descriptor, segments[0].iov_base, segments[0].iov_len, Int32(MSG_NOSIGNAL))
            } else {
                var header = msghdr()
                header.msg_iov = UnsafeMutablePointer(mutating: segments.baseAddress)
                header.msg_iovlen = segments.count
                count = sendmsg(descriptor, &header, Int32(MSG_NOSIGNAL))
            }
            if count > 0 { return .wrote(count) }
            let error = count == 0 ? EAGAIN : cms_errno()
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return .wouldBlock }
            return .failed(ByteStreamError(errno: error))
        }
    }

    /// `shutdown(SHUT_WR)`: the peer reads the end of the stream. Reactor thread.
    public func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// The bytes in the kernel's receive queue (`FIONREAD`). Reactor thread.
    public func unreadByteCount() -> Int {
        Int(cms_unread_bytes(descriptor))
    }

    /// The socket's pending error (`SO_ERROR`, which reading clears), `nil` for none or `EPIPE`. Reactor
    /// thread.
    public func pendingFailure() -> ByteStreamError? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return nil }
        return error == 0 || error == EPIPE ? nil : ByteStreamError(errno: error)
    }

    /// One non-blocking `send` of `goodbye` (whatever the kernel takes), then `close(2)`. Reactor thread.
    public func close(sendingFirst goodbye: [UInt8]) {
        if !goodbye.isEmpty {
            _ = goodbye.withUnsafeBytes { bytes in
                Glibc.send(descriptor, bytes.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
        }
        Glibc.close(descriptor)
    }
}
