import Foundation
import Glibc
import MultiSocket
import Synchronization

func loopback(_ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

/// A TCP socket bound to a fresh loopback port (and listening, with `listening`), configured by `configure`
/// before binding. Returns the descriptor and the port.
func boundLoopbackSocket(listening: Bool, configure: (Int32) -> Void = { _ in }) throws -> (Int32, UInt16) {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw MultiSocketError(.systemError, "socket") }
    configure(socketFD)
    var address = loopback(0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0, !listening || listen(socketFD, 16) == 0 else {
        Glibc.close(socketFD)
        throw MultiSocketError(.systemError, listening ? "bind or listen" : "bind")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
    }
    return (socketFD, UInt16(bigEndian: address.sin_port))
}
