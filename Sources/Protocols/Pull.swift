/// The receiving side of a pipeline (PULL, 0x51; peer ``Push``, 0x50).
///
/// Receives from every pusher; sends nothing (`socket.send(_:)` throws
/// ``/MultiSocketConnector/MultiSocketError/Code/notSupported``).
public final class Pull: ProtocolRole {
    /// PULL (0x51), whose peer is PUSH (0x50).
    public static let identity = ProtocolIdentity.pull
    /// The socket: receives from all, sends nothing.
    public let socket: Socket

    /// Creates a puller. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .none, receiver: .all, options: options.with(Self.identity))
    }

    /// Receives the next message from any pusher; concurrent receivers each get different messages.
    ///
    /// A cancelled receive consumes nothing and throws `CancellationError`.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the socket is closed and drained; `CancellationError`.
    public func receive() async throws -> Message {
        try await socket.receive()
    }
}
