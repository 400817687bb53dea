/// A node of a bus (BUS, 0x70; peers other ``Bus`` nodes or a ``BusDevice``).
///
/// ``send(_:)-([UInt8])`` goes to every directly connected peer; nodes never re-broadcast what they receive, so in
/// a full mesh every message reaches every other node exactly once and never comes back. To join nodes
/// that are not all directly connected, use a ``BusDevice`` (a hub that passes each message on to every
/// link but the one it came in on) or a ``/MultiSocket/Switch`` between two meshes.
public final class Bus: ProtocolRole {
    /// BUS (0x70), whose peer is BUS.
    public static let identity = ProtocolIdentity.bus
    /// The socket: sends to all peers, receives from all.
    public let socket: Socket

    /// Creates a bus node. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .toAll, receiver: .all, options: options.with(Self.identity))
    }

    /// Sends a copy of `content` to every directly connected peer.
    ///
    /// Waits for each full peer in turn (best effort: skips it, counted as a drop). Cancellation stops
    /// before the remaining peers.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`; `CancellationError`.
    public func send(_ content: [UInt8]) async throws {
        try await socket.sendAll(content)
    }

    /// Receives the next message from any peer; its ``/MultiSocketConnector/Message/source`` shows the links it crossed.
    ///
    /// A cancelled receive consumes nothing and throws `CancellationError`.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the socket is closed and drained; `CancellationError`.
    public func receive() async throws -> Message {
        try await socket.receive()
    }
}
