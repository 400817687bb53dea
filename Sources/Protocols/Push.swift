/// The sending side of a pipeline (PUSH, 0x50; peer ``Pull``, 0x51).
///
/// Each message goes to one puller, the next free one, so work spreads fairly over them. It receives
/// nothing (`socket.receive()` throws ``/MultiSocketConnector/MultiSocketError/Code/notSupported``).
public final class Push: ProtocolRole {
    /// PUSH (0x50), whose peer is PULL (0x51).
    public static let identity = ProtocolIdentity.push
    /// The socket: sends to one peer, receives nothing.
    public let socket: Socket

    /// Creates a pusher. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .toOne, receiver: .none, options: options.with(Self.identity))
    }

    /// Sends `content` to one puller (with none yet, it waits in the send queue until one appears).
    ///
    /// Returns once written or queued; waits while the queue is full. Cancellation while waiting sends
    /// nothing.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`, `messageDropped` (best effort, queue full),
    ///   `messageTooLarge`; `CancellationError`.
    public func send(_ content: [UInt8]) async throws {
        try await socket.send(content)
    }
}
