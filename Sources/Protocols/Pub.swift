/// The publishing side of publish/subscribe (PUB, 0x20; peer ``Sub``, 0x21).
///
/// Every message goes to every subscriber; subscribers filter by prefix themselves. The socket is best
/// effort: a subscriber whose queue is full misses the message (counted in
/// ``/MultiSocket/SocketStatistics/drops`` as ``/MultiSocket/DropReason/queueFull``) and never slows the publisher down.
public final class Pub: ProtocolRole {
    /// PUB (0x20), whose peer is SUB (0x21).
    public static let identity = ProtocolIdentity.pub
    /// The socket: sends to all, receives nothing, best effort.
    public let socket: Socket

    /// Creates a publisher. `options.identity` is replaced by ``identity`` and `bestEffort` is forced on.
    public init(options: SocketOptions = .init()) {
        var options = options.with(Self.identity)
        options.bestEffort = true
        socket = Socket(sender: .toAll, receiver: .none, options: options)
    }

    /// Publishes `content` to every current subscriber (none: it is simply gone). Never waits for a slow
    /// subscriber: a full one misses the message, counted as a drop.
    ///
    /// Cancellation stops before the remaining subscribers.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`; `CancellationError`.
    public func publish(_ content: [UInt8]) async throws {
        try await socket.sendAll(content)
    }

    /// Publishes `topic`'s UTF-8 bytes followed by `body`.
    /// - Throws: as ``publish(_:)-([UInt8])``.
    public func publish(topic: String, _ body: [UInt8]) async throws {
        try await publish(Array(topic.utf8) + body)
    }
}
