import MultiSocket

/// Helpers that connect sockets and wait on pipe events instead of sleeping.
public enum Marry {
    /// Makes `server` listen on a fresh address of `transport`, dials it from `client`, and returns once
    /// both sides report the pipe. Returns the bound address.
    @discardableResult
    public static func connect(_ client: Socket, to server: Socket, over transport: ConformanceTransport,
                               label: String = "marry") async throws -> String {
        let address = try server.listen(transport.uniqueAddress(label))
        try await connect(client, to: server, at: "\(address)")
        return "\(address)"
    }

    /// Dials `address` from `client` and returns once `server` and `client` both have a new pipe.
    public static func connect(_ client: Socket, to server: Socket, at address: String) async throws {
        let serverEvents = server.events()
        let clientEvents = client.events()
        let before = server.statistics.pipesAdded
        try await client.dial(address)
        await waitForPipe(clientEvents, unlessAlready: client.statistics.pipesAdded > 0)
        if server.statistics.pipesAdded <= before { await waitForPipe(serverEvents, unlessAlready: false) }
    }

    /// Waits until `events` reports a pipe added.
    public static func waitForPipe(_ events: AsyncStream<SocketEvent>, unlessAlready done: Bool) async {
        guard !done else { return }
        for await event in events {
            if case .pipeAdded = event { return }
        }
    }

    /// Waits until `socket` has at least `count` pipes, watching its events.
    public static func waitForPipes(_ socket: Socket, count: Int) async {
        let events = socket.events()
        if socket.statistics.pipes >= count { return }
        for await event in events {
            if case .pipeAdded = event, socket.statistics.pipes >= count { return }
            if socket.statistics.pipes >= count { return }
        }
    }

    /// Waits until `socket` has at most `count` pipes, watching its events.
    public static func waitForPipesDown(_ socket: Socket, to count: Int) async {
        let events = socket.events()
        if socket.statistics.pipes <= count { return }
        for await _ in events where socket.statistics.pipes <= count { return }
    }
}
