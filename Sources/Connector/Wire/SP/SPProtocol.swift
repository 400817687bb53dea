/// The Scalability Protocols numbers (NNG's and nanomsg's table, 16-bit: protocol × 16 + role) that the SP
/// wire announces in its connection header, which of them fit together, and which carry a backtrace.
///
/// Pure functions of the number: any thread, no locks, nothing thrown.
package enum SPProtocol {
    /// Where a protocol's messages carry an SP backtrace (request/reply and survey), or that they carry none.
    package enum Backtrace: Sendable, Equatable {
        /// No header: pair v0, pub/sub, push/pull, bus.
        case none
        /// The side that sends requests (surveys) and receives replies: REQ, SURVEYOR.
        case requester
        /// The side that receives requests (surveys) and sends replies: REP, RESPONDENT.
        case responder
    }

    /// The partner each known protocol needs (pair v0 and bus are their own partners).
    private static let partners: [UInt16: UInt16] = [
        0x10: 0x10,  // pair v0
        0x20: 0x21, 0x21: 0x20,  // pub, sub
        0x30: 0x31, 0x31: 0x30,  // req, rep
        0x50: 0x51, 0x51: 0x50,  // push, pull
        0x62: 0x63, 0x63: 0x62,  // surveyor, respondent
        0x70: 0x70,  // bus
    ]

    private static let names: [UInt16: String] = [
        0x10: "pair", 0x20: "pub", 0x21: "sub", 0x30: "req", 0x31: "rep", 0x50: "push", 0x51: "pull",
        0x62: "surveyor", 0x63: "respondent", 0x70: "bus",
    ]

    /// The protocol a peer of `number` must speak, or `nil` for a number this table does not know.
    package static func partner(of number: UInt16) -> UInt16? {
        partners[number]
    }

    /// Whether a peer announcing `peer` may talk to a socket announcing `local`.
    package static func fits(_ local: UInt16, _ peer: UInt16) -> Bool {
        partners[local] == peer
    }

    /// Whether the library can speak `number` on the SP wire (it is in the table).
    package static func isKnown(_ number: UInt16) -> Bool {
        partners[number] != nil
    }

    /// The protocol's NNG name (`rep`), or its number in hex for one the table does not know.
    package static func name(of number: UInt16) -> String {
        names[number] ?? "0x" + String(number, radix: 16)
    }

    /// The WebSocket subprotocol that names `number` on the SP ws mapping (`rep.sp.nanomsg.org`).
    package static func webSocketSubprotocol(of number: UInt16) -> String {
        "\(name(of: number)).sp.nanomsg.org"
    }

    /// How `number`'s messages carry their backtrace.
    package static func backtrace(of number: UInt16) -> Backtrace {
        switch number {
        case 0x30, 0x62: .requester
        case 0x31, 0x63: .responder
        default: .none
        }
    }
}
