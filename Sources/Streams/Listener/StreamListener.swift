@_spi(Internals) import MultiSocketConnector

/// Streams connecting to one name of a ``StreamEndpoint`` (or, from ``StreamEndpoint/listenRaw()``, raw
/// peers), to take with ``accept()``. Closing it (or dropping it) frees the name and refuses what it holds.
public final class StreamListener: Sendable {
    let core: ListenerCore
    let endpoint: EndpointCore

    init(core: ListenerCore, endpoint: EndpointCore) {
        self.core = core
        self.endpoint = endpoint
    }

    deinit {
        endpoint.closeListener(core)
    }

    /// The name it listens on (empty for the raw listener).
    public var name: String { core.name }

    /// The next stream, waiting for one as long as it takes. The connector's `connect` returns once this
    /// acknowledges it. Runs on the caller's task; cancellation throws `CancellationError`.
    /// - Throws: ``StreamError`` `connectionClosed` (the listener or endpoint was closed).
    public func accept() async throws -> StreamConnection {
        StreamConnection(core: try await endpoint.accept(core, deadline: nil))
    }

    /// The next stream, waiting at most `timeout`.
    /// - Throws: ``StreamError`` `acceptTimeout` (temporary), `connectionClosed`; `CancellationError`.
    public func accept(timeout: Duration) async throws -> StreamConnection {
        StreamConnection(core: try await endpoint.accept(core, deadline: .now + timeout))
    }

    /// Stops listening: the name is free again, queued connects are refused, waiting accepts end with
    /// `connectionClosed`. Idempotent; any thread.
    public func close() {
        endpoint.closeListener(core)
    }
}
