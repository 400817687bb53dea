/// The SP connection header exchange (sp-tcp-mapping, sp-ipc-mapping): each side sends `00 53 50 00`, its
/// 16-bit protocol number big-endian and two zero bytes, and reads the peer's eight.
///
/// A header that is not of that form refuses the connection with ``MultiSocketError/Code/protocolMismatch``.
/// The dialing side (``checksPeer``) also refuses a peer whose protocol does not fit its own, so that a
/// synchronous dial throws `protocolMismatch`; the listening side hands every well-formed header on, and the
/// framing reports an incompatible peer as a refused pipe once the pipe exists (``SPFraming``). It consumes
/// nothing: the peer's header stays at the head of the stream as the framing's first unit.
///
/// Runs on its ``PreambleDriver``'s reactor thread; it decides within eight bytes.
package struct SPHeaderPreamble: Preamble {
    /// The eight bytes of an SP header.
    package static let size = 8
    private static let signature: [UInt8] = [0x00, 0x53, 0x50, 0x00]

    /// The protocol number this side announces.
    let local: UInt16
    /// Whether a peer of another protocol is refused here (the dialing side).
    let checksPeer: Bool
    /// What the errors name (the address dialed, or the peer accepted).
    let endpoint: String
    /// How long the exchange may take (``SPStreamLink/headerTimeout`` for the transports).
    package let timeout: Duration

    /// A preamble announcing `local`; `checksPeer` refuses an incompatible peer during the exchange.
    package init(local: UInt16, checksPeer: Bool, endpoint: String, timeout: Duration = .seconds(10)) {
        self.local = local
        self.checksPeer = checksPeer
        self.endpoint = endpoint
        self.timeout = timeout
    }

    /// The header that announces `number`.
    package static func header(announcing number: UInt16) -> [UInt8] {
        signature + [UInt8(number >> 8), UInt8(number & 0xFF), 0, 0]
    }

    /// The protocol number a well-formed header announces, or `nil` when the eight `bytes` are not one.
    package static func protocolNumber(in bytes: some Collection<UInt8>) -> UInt16? {
        let header = Array(bytes.prefix(size))
        guard header.count == size, Array(header[0..<4]) == signature, header[6] == 0, header[7] == 0 else {
            return nil
        }
        return UInt16(header[4]) << 8 | UInt16(header[5])
    }

    package mutating func opening() -> [UInt8] {
        Self.header(announcing: local)
    }

    package mutating func received(_ bytes: [UInt8], searchedBefore: Int) -> PreambleStep<UInt16> {
        guard bytes.count >= Self.size else { return .needMore }
        guard let peer = Self.protocolNumber(in: bytes) else {
            let shown = bytes.prefix(Self.size).map { String($0, radix: 16) }.joined(separator: " ")
            return .refused(MultiSocketError(.protocolMismatch, "\(endpoint): not an SP header (\(shown))"),
                            reply: [], linger: .zero)
        }
        if checksPeer && !SPProtocol.fits(local, peer) {
            return .refused(MultiSocketError(.protocolMismatch, Self.mismatch(local: local, peer: peer, at: endpoint)),
                            reply: [], linger: .zero)
        }
        return .done(peer, consumed: 0, reply: [])
    }

    /// Why a peer announcing `peer` does not fit `local`.
    package static func mismatch(local: UInt16, peer: UInt16, at endpoint: String) -> String {
        let needed = SPProtocol.partner(of: local).map(SPProtocol.name(of:)) ?? "none"
        return "\(endpoint): SP peer speaks \(SPProtocol.name(of: peer)), \(SPProtocol.name(of: local)) needs \(needed)"
    }

    package func error(for failure: PreambleFailure) -> MultiSocketError {
        switch failure {
        case .timedOut: MultiSocketError(.timedOut, "\(endpoint): no SP header in time")
        case .ended, .broken:
            MultiSocketError(.connectionRefused, "\(endpoint): connection closed during the SP header exchange")
        case .unregistrable: SystemSocket.systemError("epoll_ctl")
        case .cancelled: MultiSocketError(.closed, "\(endpoint): SP header exchange cancelled")
        }
    }
}
