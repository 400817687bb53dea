/// The wire of a stock perf tool's peer, which `msperf local_lat`/`remote_lat` speak over a raw tcp pipe so
/// that they pair with NNG's and ZeroMQ's own `local_lat`/`remote_lat` (req/rep): `nng+tcp://host:port`
/// speaks the Scalability Protocols' tcp wire (NNG, nanomsg, mangos), `zmq+tcp://host:port` ZMTP 3.0 with
/// the NULL mechanism (libzmq).
///
/// Only what a latency run needs: the opening exchange, and one request/reply frame of a directly connected
/// REQ and REP. A direct REP's reply carries the request's envelope back unchanged (SP: the request id;
/// ZMTP: the empty delimiter frame), so it is byte for byte the request: the server echoes the bytes it
/// reads once the opening is done.
public enum PeerWire: String, Sendable, CaseIterable {
    /// The Scalability Protocols over tcp (`nng+tcp://`).
    case nng
    /// ZMTP 3.0, NULL mechanism, over tcp (`zmq+tcp://`).
    case zmq

    /// The wire an `msperf` address names, and the library's address for the raw pipe (`tcp://…`), or
    /// `nil` for an ordinary address.
    public static func split(_ address: String) -> (wire: PeerWire, address: String)? {
        for wire in allCases {
            let prefix = "\(wire.rawValue)+tcp://"
            if address.hasPrefix(prefix) { return (wire, "tcp://" + address.dropFirst(prefix.count)) }
        }
        return nil
    }

    /// What this side sends first: the SP header, or the ZMTP greeting and READY command naming its socket
    /// type (REP for the `server`, REQ otherwise).
    func opening(server: Bool) -> [UInt8] {
        switch self {
        case .nng:
            return [0x00, 0x53, 0x50, 0x00, 0x00, server ? 0x31 : 0x30, 0x00, 0x00]
        case .zmq:
            var bytes: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7F, 0x03, 0x00]
            bytes += Array("NULL".utf8) + [UInt8](repeating: 0, count: 16)
            bytes += [UInt8](repeating: 0, count: 32)  // as-server 0, then the filler
            let type = Array((server ? "REP" : "REQ").utf8)
            let body = [0x05] + Array("READY".utf8) + [0x0B] + Array("Socket-Type".utf8)
                + [0, 0, 0, UInt8(type.count)] + type
            return bytes + [0x04, UInt8(body.count)] + body
        }
    }

    /// The length of the peer's opening when `received` (its first bytes) says it, else `nil` (read more).
    ///
    /// - Throws: ``PerfError`` when the bytes are not this wire's opening.
    func openingLength(_ received: ArraySlice<UInt8>) throws -> Int? {
        switch self {
        case .nng:
            guard received.count >= 8 else { return nil }
            guard received.prefix(4).elementsEqual([0x00, 0x53, 0x50, 0x00]) else {
                throw PerfError("the peer's first bytes are not an SP header")
            }
            return 8
        case .zmq:
            // 64-byte greeting, then the READY command: flags 0x04 (short, 1-byte size) or 0x06 (8-byte size).
            guard received.count >= 66 else { return nil }
            let start = received.startIndex
            guard received[start] == 0xFF, received[start + 9] & 0x01 == 0x01, received[start + 10] >= 3 else {
                throw PerfError("the peer's first bytes are not a ZMTP 3 greeting")
            }
            switch received[start + 64] {
            case 0x04:
                return 66 + Int(received[start + 65])
            case 0x06:
                guard received.count >= 73 else { return nil }
                let size = received[(start + 65)..<(start + 73)].reduce(0) { $0 << 8 | Int($1) }
                return 73 + size
            default:
                throw PerfError("the peer's opening has no READY command after its greeting")
            }
        }
    }

    /// A request frame carrying `payload`; the direct REP's reply is the same bytes.
    func request(_ payload: [UInt8]) -> [UInt8] {
        switch self {
        case .nng:
            let length = UInt64(4 + payload.count)
            return (0..<8).reversed().map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
                + [0x80, 0x00, 0x00, 0x01] + payload
        case .zmq:
            let head: [UInt8] = payload.count <= 255
                ? [0x00, UInt8(payload.count)]
                : [0x02] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> (8 * $0)) }
            return [0x01, 0x00] + head + payload
        }
    }
}
