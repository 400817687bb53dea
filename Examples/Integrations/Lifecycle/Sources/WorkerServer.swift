import MultiSocketProtocols
import ServiceLifecycle

/// A `Rep` worker server as a swift-service-lifecycle `Service`: `run()` serves with `workers` concurrent
/// handlers until the service group shuts down gracefully (SIGTERM, or another service ending), then drains
/// with `Rep.shutdown()` — no new request is taken, every request already read is handled and answered, and
/// the socket closes once its answers are flushed — and returns. Cancellation (the group's cancellation
/// signals) stops the workers at once instead.
public struct WorkerServer: Service {
    public let rep: Rep
    public let workers: Int
    public let handler: @Sendable (Rep.Request) async throws -> [UInt8]?

    public init(rep: Rep, workers: Int, handler: @escaping @Sendable (Rep.Request) async throws -> [UInt8]?) {
        self.rep = rep
        self.workers = workers
        self.handler = handler
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await rep.serve(workers: workers, handler)
        } onGracefulShutdown: { [rep] in
            // The handler is synchronous: the drain starts in a task of its own, and `run()` below waits for it.
            Task { await rep.shutdown() }
        }
        // `serve` returned: the drain stopped the input and the workers answered what was read. Wait until the
        // socket has closed (the answers flushed) before telling the group this service is done.
        await rep.shutdown()
    }
}
