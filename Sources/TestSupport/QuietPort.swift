import Foundation
import Glibc
import MultiSocket

/// Loopback tcp ports below the kernel's ephemeral range (32768 and up on Linux), for a test that must listen
/// on one port again after releasing it, or hand a port to a peer process that cannot listen on port 0.
///
/// Every port-0 listener and every outgoing connection of the other tests draws its port from the ephemeral
/// range: a port released there can be taken by any of them before it is bound again (then `addressInUse`),
/// and a dialer retrying it can reach another test's listener. Below the range, only tests that ask here
/// pick ports, at random.
public enum QuietPort {
    /// A port nobody has bound now (it was bound, then released, before this returns). Any thread.
    /// - Throws: ``MultiSocketError`` `addressInUse` when 100 random tries all found their port taken.
    public static func free() throws -> UInt16 {
        for _ in 0..<100 {
            let port = UInt16.random(in: 20_000...32_000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            if bound { return port }
        }
        throw MultiSocketError(.addressInUse, "no free port below the ephemeral range")
    }

    /// `address` with its port 0 (a tcp, ws or other host:port address from ``ConformanceTransport``) replaced
    /// by a ``free()`` port; an address without a port 0 comes back as it is.
    /// - Throws: as ``free()``.
    public static func replacingPortZero(in address: String) throws -> String {
        // The port is the ":0" that ends the address or comes right before its path or query.
        for suffix in [":0/", ":0?"] {
            if let range = address.range(of: suffix) {
                return address.replacingCharacters(in: range, with: ":\(try free())\(suffix.last!)")
            }
        }
        guard address.hasSuffix(":0") else { return address }
        return String(address.dropLast(2)) + ":\(try free())"
    }
}
