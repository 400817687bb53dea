/// The content of the socket-internal hello with which a socket announces its ``ProtocolIdentity`` on a new
/// pipe: `"MS"`, version 1, its protocol number and the number its peer must have, both big-endian.
///
/// It lives here so that a framing can speak for a peer whose wire announces its protocol otherwise (the SP
/// header, ``SPFraming``). Pure functions, any thread.
package enum PeerHello {
    /// The first bytes of every hello.
    package static let magic: [UInt8] = [0x4D, 0x53, 0x01]
    /// The hello's length.
    package static let size = 7

    /// The hello announcing protocol `id` whose peer must be `peer`.
    package static func content(id: UInt16, peer: UInt16) -> [UInt8] {
        magic + [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(peer >> 8), UInt8(peer & 0xFF)]
    }
}
