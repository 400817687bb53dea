@_spi(Internals) import MultiSocketConnector
/// A bus hub (BUS, 0x70): passes every message it receives on to every one of its links except the one
/// it arrived on, so ``Bus`` nodes connected only to the device (or to devices joined in a tree) all hear
/// each other, each message exactly once, never echoed back.
///
/// Forwarded messages keep the path and ttl they arrived with, so a loop of devices cannot circulate a
/// message forever (it dies when its ttl runs out) — but devices should still form a tree, or nodes get
/// copies along every route. A device forwards only while it runs: ``run()`` in a task of yours (a service's
/// `run()`), or ``start()`` in a task the device owns until it is closed.
public final class BusDevice: ProtocolRole {
    /// BUS (0x70), whose peer is BUS.
    public static let identity = ProtocolIdentity.bus
    /// The socket: receives from all, sends along paths only.
    public let socket: Socket
    private let counters = Locked((forwarded: 0, failed: 0))
    private let owned = Locked<Task<Void, Never>?>(nil)

    /// Creates a device; it forwards once it runs. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .toDest, receiver: .all, options: options.with(Self.identity))
    }

    /// Passes every message on to every other link until the device is closed (and what it received is
    /// passed on) or the calling task is cancelled. For the fewest hops, call it from a task on the socket's
    /// I/O thread (`Task(executorPreference: device.socket.executor)`): a message read there is passed on
    /// without one. Throws nothing.
    public func run() async {
        while let message = try? await socket.receive() {
            for pipe in socket.connector.pipes where pipe.id != message.pipeID {
                var copy = message
                copy.sendType = .toDest
                copy.destination = [pipe.id]
                do {
                    try await socket.forward(copy)
                    counters.withLock { $0.forwarded += 1 }
                } catch {
                    counters.withLock { $0.failed += 1 }
                }
            }
        }
    }

    /// Runs ``run()`` on the socket's I/O thread in a task the device owns until it is closed; a second call
    /// does nothing. Returns the device. Any thread.
    @discardableResult
    public func start() -> BusDevice {
        owned.withLock { task in
            if task == nil { task = Task(executorPreference: socket.executor) { await self.run() } }
        }
        return self
    }

    /// Copies passed on so far (one per message and outgoing link).
    public var forwarded: Int { counters.withLock { $0.forwarded } }

    /// Copies lost because their link closed or was full (best effort) while forwarding.
    public var failed: Int { counters.withLock { $0.failed } }

    /// Waits until what ``start()`` started has ended (after ``ProtocolRole/close()``).
    public func wait() async {
        await owned.withLock { $0 }?.value
    }
}
