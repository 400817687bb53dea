@_spi(Internals) import MultiSocketConnector
/// Joins two sockets back to back and forwards messages both ways, so that requests from the front
/// reach the back and replies find their way back along the path they recorded.
///
/// A middleware may inspect, rewrite or drop (return `nil`) each message. A dropped message, a broken
/// path or a full queue is counted and the switch carries on; it stops only when a socket closes or
/// ``stop()`` is called.
public final class Switch: Sendable {
    /// Which way a message is travelling.
    public enum Direction: Sendable, Hashable {
        /// Received on the front socket, forwarded on the back socket.
        case frontToBack
        /// Received on the back socket, forwarded on the front socket.
        case backToFront
    }

    /// Inspects a message and returns it (possibly rewritten), or `nil` to drop it.
    public typealias Middleware = @Sendable (Message, Direction) async -> Message?

    /// A snapshot of what the switch did.
    public struct Statistics: Sendable, Hashable {
        /// Messages forwarded.
        public var forwarded = 0
        /// Messages the middleware dropped.
        public var droppedByMiddleware = 0
        /// Messages whose path named no live pipe.
        public var brokenPaths = 0
        /// Messages lost to another send error (for example a best-effort queue being full).
        public var failed = 0
    }

    /// The socket facing the servers.
    public let back: Socket
    /// The socket facing the clients.
    public let front: Socket
    private let counters = Locked(Statistics())
    private let tasks = Locked<[Task<Void, Never>]>([])

    /// Starts forwarding between `back` and `front` at once.
    public init(back: Socket, front: Socket, middleware: Middleware? = nil) {
        self.back = back
        self.front = front
        let forwarders = [
            Task { [self] in await self.forward(from: front, to: back, .frontToBack, middleware) },
            Task { [self] in await self.forward(from: back, to: front, .backToFront, middleware) },
        ]
        tasks.withLock { $0 = forwarders }
    }

    /// What the switch has done so far.
    public var statistics: Statistics { counters.withLock { $0 } }

    /// Stops forwarding and waits for both directions to end. The sockets stay open.
    public func stop() async {
        let running = tasks.withLock { $0 }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    /// Waits until both directions have ended (their sockets closed, or ``stop()`` was called).
    public func wait() async {
        for task in tasks.withLock({ $0 }) { await task.value }
    }

    private func forward(from source: Socket, to target: Socket, _ direction: Direction, _ middleware: Middleware?) async {
        while true {
            let received: Message
            do {
                received = try await source.receive()
            } catch {
                return
            }
            var message = received
            if let middleware {
                guard let kept = await middleware(message, direction) else {
                    counters.withLock { $0.droppedByMiddleware += 1 }
                    target.drop(.middleware)
                    continue
                }
                message = kept
            }
            do {
                try await target.forward(message)
                counters.withLock { $0.forwarded += 1 }
            } catch let error as MultiSocketError {
                switch error.code {
                case .closed: return
                case .brokenPath: counters.withLock { $0.brokenPaths += 1 }
                default: counters.withLock { $0.failed += 1 }
                }
            } catch {
                return
            }
        }
    }
}
