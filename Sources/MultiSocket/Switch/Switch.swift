@_spi(Internals) import MultiSocketConnector

/// Joins two sockets back to back and forwards messages both ways, so that requests from the front
/// reach the back and replies find their way back along the path they recorded.
///
/// A switch does nothing until it runs: ``run()`` forwards in the calling task (and the child tasks it
/// makes) until a socket closes or that task is cancelled — what swift-service-lifecycle expects of a
/// service; ``start()`` runs it in a task the switch owns until ``stop()``, for code that has no task to
/// give it.
///
/// A middleware (or a router, which may also answer a message itself) sees each message. It may wait — a
/// token check against another service, say: with `concurrency` above 1, messages of up to that many
/// sources per direction are in middleware at once, the messages of one source (the same ``/MultiSocketConnector/Message/source``
/// path) one after another in the order they arrived. A dropped message, a broken path or a full queue is counted and the switch
/// carries on.
public final class Switch: Sendable {
    /// Which way a message is travelling.
    public enum Direction: Sendable, Hashable {
        /// Received on the front socket, forwarded on the back socket.
        case frontToBack
        /// Received on the back socket, forwarded on the front socket.
        case backToFront
    }

    /// What a ``Router`` decided for a message.
    public enum Decision: Sendable {
        /// Forward this message (the one received, or a rewritten one) on the other socket.
        case forward(Message)
        /// Drop it (counted as ``Statistics/droppedByMiddleware`` and as a ``DropReason/middleware`` drop).
        case drop
        /// Answer it with this content, sent back along its source on the socket it came in on; it goes no
        /// further (counted as ``Statistics/answered``).
        case answer([UInt8])
    }

    /// Inspects a message and returns it (possibly rewritten), or `nil` to drop it. May suspend.
    public typealias Middleware = @Sendable (Message, Direction) async -> Message?
    /// Decides what becomes of a message: forward, drop or answer. May suspend.
    public typealias Router = @Sendable (Message, Direction) async -> Decision

    /// A snapshot of what the switch did.
    public struct Statistics: Sendable, Hashable {
        /// Messages forwarded.
        public var forwarded = 0
        /// Messages the middleware dropped.
        public var droppedByMiddleware = 0
        /// Messages the router answered itself.
        public var answered = 0
        /// Messages whose path named no live pipe.
        public var brokenPaths = 0
        /// Messages lost to another send error (for example a best-effort queue being full).
        public var failed = 0
    }

    /// The socket facing the servers.
    public let back: Socket
    /// The socket facing the clients.
    public let front: Socket
    /// How many messages of each direction may be in the router at once (at least 1).
    public let concurrency: Int
    private let router: Router?
    private let counters = Locked(Statistics())
    private let owned = Locked<Task<Void, Never>?>(nil)

    /// Messages a lane holds while its router is busy, before the switch stops receiving on that side.
    private static let laneCapacity = 16

    /// A switch forwarding between `back` and `front` through `middleware`, if any, up to `concurrency`
    /// messages per direction in it at once. Starts nothing: call ``run()`` or ``start()``.
    public init(back: Socket, front: Socket, concurrency: Int = 1, middleware: Middleware? = nil) {
        self.back = back
        self.front = front
        self.concurrency = max(1, concurrency)
        if let middleware {
            router = { message, direction in
                guard let kept = await middleware(message, direction) else { return .drop }
                return .forward(kept)
            }
        } else {
            router = nil
        }
    }

    /// A switch whose `router` decides for each message, up to `concurrency` messages per direction at once.
    /// Starts nothing: call ``run()`` or ``start()``.
    public init(back: Socket, front: Socket, concurrency: Int = 1, router: @escaping Router) {
        self.back = back
        self.front = front
        self.concurrency = max(1, concurrency)
        self.router = router
    }

    /// What the switch has done so far.
    public var statistics: Statistics { counters.withLock { $0 } }

    /// Forwards both ways until both directions have ended: a socket closed, or the calling task was
    /// cancelled (then it returns once the messages already taken are routed; the sockets stay open).
    /// Throws nothing.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.forward(from: self.front, to: self.back, .frontToBack) }
            group.addTask { await self.forward(from: self.back, to: self.front, .backToFront) }
        }
    }

    /// Runs ``run()`` in a task the switch owns until ``stop()`` (or until a socket closes); a second call
    /// does nothing. Returns the switch. Any thread.
    @discardableResult
    public func start() -> Switch {
        owned.withLock { task in
            if task == nil { task = Task { await self.run() } }
        }
        return self
    }

    /// Stops what ``start()`` started and waits for it to end. The sockets stay open. (A ``run()`` in a task
    /// of your own stops when you cancel that task.)
    public func stop() async {
        let task = owned.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    /// Waits until what ``start()`` started has ended (its sockets closed, or ``stop()`` was called).
    public func wait() async {
        await owned.withLock({ $0 })?.value
    }

    private func forward(from source: Socket, to target: Socket, _ direction: Direction) async {
        guard let router, concurrency > 1 else {
            while let message = try? await source.receive() {
                if await !route(message, from: source, to: target, direction) { return }
            }
            return
        }
        let lanes = SwitchLanes(count: concurrency, capacity: Self.laneCapacity)
        await withTaskGroup(of: Void.self) { group in
            for lane in lanes.lanes {
                group.addTask {
                    while let message = await lane.pop() {
                        let open = await self.route(message, from: source, to: target, direction, router)
                        lanes.done(with: message)
                        // The target closed: the direction ends (what other lanes hold meets the same end).
                        if !open { lanes.close() }
                    }
                }
            }
            while let message = try? await source.receive() {
                guard await lanes.lane(for: message).push(message) else {
                    lanes.done(with: message)
                    break
                }
            }
            lanes.close()
        }
    }

    /// Routes one message. Returns `false` when the target socket has closed (the direction ends).
    private func route(_ message: Message, from source: Socket, to target: Socket, _ direction: Direction,
                       _ router: Router? = nil) async -> Bool {
        var outgoing = message
        if let router = router ?? self.router {
            switch await router(message, direction) {
            case .forward(let kept):
                outgoing = kept
            case .drop:
                counters.withLock { $0.droppedByMiddleware += 1 }
                target.drop(.middleware)
                return true
            case .answer(let content):
                do {
                    try await source.sendTo(message.source, content)
                    counters.withLock { $0.answered += 1 }
                } catch let error as MultiSocketError where error.code == .brokenPath {
                    counters.withLock { $0.brokenPaths += 1 }
                } catch {
                    counters.withLock { $0.failed += 1 }
                }
                return true
            }
        }
        do {
            try await target.forward(outgoing)
            counters.withLock { $0.forwarded += 1 }
        } catch let error as MultiSocketError {
            switch error.code {
            case .closed: return false
            case .brokenPath: counters.withLock { $0.brokenPaths += 1 }
            default: counters.withLock { $0.failed += 1 }
            }
        } catch {
            return false
        }
        return true
    }
}
