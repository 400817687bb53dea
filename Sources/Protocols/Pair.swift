/// One-to-one messaging (PAIR, 0x10; peer another ``Pair``).
///
/// A pair has at most one peer at a time (``/MultiSocketConnector/ConnectorOptions/pipeLimit`` 1): while it has one, further
/// connections wait unserved in the connector's backlog (and dialers pause); when the peer leaves, the
/// oldest waiting one is admitted.
public final class Pair: ProtocolRole {
    /// PAIR (0x10), whose peer is PAIR.
    public static let identity = ProtocolIdentity.pair
    /// The socket: one pipe at most, sends to it, receives from it.
    public let socket: Socket

    /// Creates a pair end. `options.identity` is replaced by ``identity`` and `pipeLimit` by 1.
    public init(options: SocketOptions = .init()) {
        var options = options.with(Self.identity)
        options.connector.pipeLimit = 1
        socket = Socket(sender: .toOne, receiver: .all, options: options)
    }

    /// Sends `content` to the peer (with none yet, it waits in the send queue until one connects).
    ///
    /// Returns once written or queued; waits while the queue is full. Cancellation while waiting sends
    /// nothing.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`, `messageDropped` (best effort, queue full),
    ///   `messageTooLarge`; `CancellationError`.
    public func send(_ content: [UInt8]) async throws {
        try await socket.send(content)
    }

    /// Receives the next message from the peer.
    ///
    /// A cancelled receive consumes nothing and throws `CancellationError`.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the socket is closed and drained; `CancellationError`.
    public func receive() async throws -> Message {
        try await socket.receive()
    }
}
