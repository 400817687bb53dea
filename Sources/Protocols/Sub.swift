import Synchronization
@_spi(Internals) import MultiSocketConnector

/// The subscribing side of publish/subscribe (SUB, 0x21; peer ``Pub``, 0x20).
///
/// Receives what its publishers send and keeps the messages that start with one of its subscribed
/// prefixes; the others are dropped and counted in ``filtered``. The empty prefix matches everything;
/// with no subscription nothing is kept. Subscriptions may change at any time, from any task.
public final class Sub: ProtocolRole {
    /// SUB (0x21), whose peer is PUB (0x20).
    public static let identity = ProtocolIdentity.sub
    /// The socket: receives from all, sends nothing.
    public let socket: Socket
    private let prefixes = Locked(Set<[UInt8]>())
    private let filteredCount = Atomic(0)

    /// Creates a subscriber with no subscription. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .none, receiver: .all, options: options.with(Self.identity))
    }

    /// Keeps messages starting with `prefix` from now on; the empty prefix keeps everything.
    public func subscribe(_ prefix: [UInt8]) {
        _ = prefixes.withLock { $0.insert(prefix) }
    }

    /// Keeps messages starting with `topic`'s UTF-8 bytes.
    public func subscribe(_ topic: String) {
        subscribe(Array(topic.utf8))
    }

    /// Stops keeping messages for `prefix` (other prefixes that match still keep them).
    public func unsubscribe(_ prefix: [UInt8]) {
        _ = prefixes.withLock { $0.remove(prefix) }
    }

    /// Stops keeping messages for `topic`'s UTF-8 bytes.
    public func unsubscribe(_ topic: String) {
        unsubscribe(Array(topic.utf8))
    }

    /// The prefixes subscribed now.
    public var subscriptions: Set<[UInt8]> { prefixes.withLock { $0 } }

    /// Messages received but dropped because no subscription matched.
    public var filtered: Int { filteredCount.load(ordering: .relaxed) }

    /// Whether `content` matches a current subscription.
    public func matches(_ content: [UInt8]) -> Bool {
        prefixes.withLock { prefixes in prefixes.contains { content.starts(with: $0) } }
    }

    /// Receives the next message matching a subscription; non-matching ones are dropped on the way.
    ///
    /// A cancelled receive throws `CancellationError`; it consumes nothing that matches.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the socket is closed and drained; `CancellationError`.
    public func receive() async throws -> Message {
        while true {
            let message = try await socket.receive()
            if matches(message.content) { return message }
            filteredCount.add(1, ordering: .relaxed)
        }
    }
}
