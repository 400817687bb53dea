import Foundation
import Glibc
import MultiSocket
import Synchronization

/// A loopback TCP port that is bound but not listening: connecting to it is refused, and no other test
/// can take it while this value lives.
public final class RefusingTCPPort: Sendable {
    /// The port.
    public let port: UInt16
    private let fd: Int32

    /// Binds a fresh port.
    public init() throws {
        (fd, port) = try boundLoopbackSocket(listening: false)
    }

    deinit { Glibc.close(fd) }
}
