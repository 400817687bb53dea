/// Who a socket is on the wire: its protocol number and the number its peers must have (NNG's table,
/// for example REQ 0x30 whose peer is REP 0x31).
///
/// A socket with an identity sends a short internal hello first on every pipe and closes pipes whose
/// hello names an incompatible protocol (counted in ``SocketStatistics/pipesRefused`` and reported as
/// ``SocketEvent/pipeRefused(_:reason:)``). Peers that send no hello, such as plain sockets or the Go
/// library, are accepted: framed peers drop internal messages silently.
///
/// On the Scalability Protocols wire (`sp+tcp://`, `sp+ipc://`, `sp+ws://`) ``id`` is the number the SP header
/// or WebSocket subprotocol announces (unless the endpoint's `spProtocol` option names another), and a peer
/// announcing a number that does not fit is refused the same way.
public struct ProtocolIdentity: Sendable, Hashable {
    /// This socket's protocol number.
    public var id: UInt16
    /// The protocol number a peer must have.
    public var peer: UInt16
    /// This protocol's name, for messages.
    public var name: String
    /// The peer protocol's name, for messages.
    public var peerName: String

    /// Creates an identity.
    public init(id: UInt16, peer: UInt16, name: String, peerName: String) {
        self.id = id
        self.peer = peer
        self.name = name
        self.peerName = peerName
    }

    /// The internal message announcing this identity.
    var hello: Message {
        Message(content: PeerHello.content(id: id, peer: peer), flags: .internal, ttl: 1)
    }

    /// If `message` is a hello, the reason it is incompatible with this identity (or `nil` when it
    /// fits); `.some(nil)` means compatible; `nil` means not a hello.
    func check(_ message: Message) -> String?? {
        let bytes = message.content
        guard bytes.count == PeerHello.size, Array(bytes.prefix(3)) == PeerHello.magic else { return nil }
        let theirs = UInt16(bytes[3]) << 8 | UInt16(bytes[4])
        let theirPeer = UInt16(bytes[5]) << 8 | UInt16(bytes[6])
        if theirs == peer && theirPeer == id { return .some(nil) }
        let hex = { (value: UInt16) in "0x" + String(value, radix: 16) }
        return .some("peer protocol \(hex(theirs)) does not fit \(name) (\(hex(id))), which needs \(peerName) (\(hex(peer)))")
    }
}
