@testable import MultiSocketConnector

/// The shape of the SP header exchange (a later issue) as a ``Preamble``: each side sends 8 bytes
/// (`00 'S' 'P' 00`, its protocol id, two zero bytes) and checks that the peer's names the protocol it
/// expects. The outcome is the peer's header. `extra` bytes follow this side's header (the first frames).
struct FixedHeaderPreamble: Preamble {
    var protocolID: UInt16
    var expectedPeer: UInt16
    var extra: [UInt8] = []
    var timeout: Duration = .seconds(10)
    /// What a refusal writes before closing (the SP exchange writes nothing; a refusal reply is shown here).
    var refusalReply: [UInt8] = []
    var refusalLinger: Duration = .zero

    static func header(_ protocolID: UInt16) -> [UInt8] {
        [0, 0x53, 0x50, 0, UInt8(protocolID >> 8), UInt8(protocolID & 0xFF), 0, 0]
    }

    func opening() -> [UInt8] {
        Self.header(protocolID) + extra
    }

    func received(_ bytes: [UInt8], searchedBefore: Int) -> PreambleStep<[UInt8]> {
        guard bytes.count >= 8 else { return .needMore }
        let header = Array(bytes[..<8])
        guard header == Self.header(expectedPeer) else {
            return .refused(MultiSocketError(.protocolMismatch, "peer header \(header)"), reply: refusalReply,
                            linger: refusalLinger)
        }
        return .done(header, consumed: 8, reply: [])
    }

    func error(for failure: PreambleFailure) -> MultiSocketError {
        switch failure {
        case .timedOut: MultiSocketError(.timedOut, "no SP header in time")
        case .ended, .broken: MultiSocketError(.connectionRefused, "closed during the SP header exchange")
        case .unregistrable: MultiSocketError(.systemError, "epoll_ctl")
        case .cancelled: MultiSocketError(.closed, "cancelled")
        }
    }
}
