import Foundation
import Glibc
import MultiSocket
import Synchronization

/// A plain blocking TCP listener on loopback, for playing a hand-written (often misbehaving) server.
public final class PlainListener: Sendable {
    /// The port it listens on.
    public let port: UInt16
    private let fd: Int32

    /// Listens on a fresh loopback port. `timeout` bounds each blocking accept (a safety net: a sanitized run
    /// of the whole suite can keep a dialing task from starting for several seconds).
    public init(timeout seconds: Int = runningUnderSanitizer ? 30 : 10) throws {
        (fd, port) = try boundLoopbackSocket(listening: true) { socketFD in
            var timeout = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    deinit { Glibc.close(fd) }

    /// Accepts one connection, on a thread of its own. `timeout` bounds each blocking read on it.
    public func accept(timeout seconds: Int = runningUnderSanitizer ? 30 : 10) async throws -> PlainClient {
        let fd = self.fd
        let accepted = await offloaded { () -> Int32 in
            while true {
                let connection = Glibc.accept(fd, nil, nil)
                if connection < 0 && errno == EINTR { continue }
                return connection
            }
        }
        guard accepted >= 0 else { throw MultiSocketError(.timedOut, "nobody connected to port \(port)") }
        return PlainClient(accepted: accepted, timeout: seconds)
    }
}
