@_spi(Internals) import MultiSocketConnector

/// Joins streams: every stream accepted on the front listener is connected onward to a listener name
/// through the back endpoint, and bytes are copied both ways with half-closes carried across.
///
/// ``run()`` serves until its task is cancelled or the front listener closes; ``relay(_:_:)`` copies one
/// pair of streams (what the raw-TCP bridge uses too).
public struct StreamProxy: Sendable {
    /// Where streams come from.
    public let front: StreamListener
    /// What they are connected onward through.
    public let back: StreamEndpoint
    /// The listener name they connect to on the back side.
    public let name: String
    /// How long an onward connect may take.
    public let connectTimeout: Duration

    /// Creates a proxy; it does nothing until ``run()``.
    public init(front: StreamListener, back: StreamEndpoint, name: String, connectTimeout: Duration = .seconds(10)) {
        self.front = front
        self.back = back
        self.name = name
        self.connectTimeout = connectTimeout
    }

    /// Accepts front streams and relays each one in a child task until cancelled (or the front listener is
    /// closed); an onward connect that fails closes its front stream. Returns when every relay ended.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                guard let incoming = try? await front.accept() else { return }
                group.addTask {
                    guard let onward = try? await back.connect(name, timeout: connectTimeout) else {
                        await incoming.close()
                        return
                    }
                    await Self.relay(incoming, onward)
                }
            }
        }
    }

    /// Copies `first`'s bytes to `second` and back at once; an end of stream on one side becomes a
    /// half-close of the other. When both directions ended (or either failed), both are closed.
    /// Runs on the caller's task, with one child task; cancellation closes both.
    public static func relay(_ first: StreamConnection, _ second: StreamConnection) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await copy(from: first, to: second) }
            group.addTask { await copy(from: second, to: first) }
            await group.waitForAll()
        }
        await first.close()
        await second.close()
    }

    private static func copy(from source: StreamConnection, to target: StreamConnection) async {
        do {
            while let chunk = try await source.read(upToCount: source.core.options.chunkSize) {
                try await target.write(chunk)
            }
            try await target.closeWrite()
        } catch {
            await source.close()
            await target.close()
        }
    }
}
