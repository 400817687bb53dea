import Glibc
import MultiSocket
import MultiSocketTestSupport
import Testing

/// Per-endpoint options: `dial`/`listen` options replace the socket's endpoint defaults, and the address's
/// query overrides single fields of whichever applies.
@Suite(.timeLimit(.minutes(1)))
struct EndpointOptionsTests {
    /// Sends `size` bytes from a fresh client to `address`; returns once `server` received them or, when
    /// `rejected`, once it rejected the frame (and closed the pipe).
    private static func send(_ size: Int, to server: Socket, at address: Address, rejected: Bool) async throws {
        let client = Socket(options: SocketOptions(
            linger: .milliseconds(50), connector: .init(endpoint: .init(reconnect: false))))
        let before = server.statistics.rejectedFrames
        try await client.dial("\(address.endpoint)")
        try await client.send([UInt8](repeating: 7, count: size))
        if rejected {
            try await Await.statistics(server, "\(size) bytes rejected at \(address)") { $0.rejectedFrames > before }
        } else {
            let message = try await withTimeout(10, "\(size) bytes at \(address)") { try await server.receive() }
            #expect(message.content.count == size)
        }
        await client.close()
    }

    /// The socket's default is a 1 KiB receive limit; a listener given its own options takes 64 KiB, and a
    /// query on top of those options lowers it again (the query wins).
    @Test(arguments: [ConformanceTransport.tcp, .abstract])
    func listenOptionsOverrideTheSocketAndTheQueryOverridesBoth(over transport: ConformanceTransport) async throws {
        let server = Socket(options: SocketOptions(
            connector: .init(endpoint: .init(maxReceiveSize: 1024))))
        let wide = EndpointOptions(maxReceiveSize: 64 * 1024)
        let byDefault = try server.listen(transport.uniqueAddress("default"))
        let byOptions = try server.listen(transport.uniqueAddress("options"), options: wide)
        let byQuery = try server.listen(transport.uniqueAddress("query") + "?maxReceiveSize=512", options: wide)

        try await Self.send(512, to: server, at: byDefault, rejected: false)
        try await Self.send(2048, to: server, at: byDefault, rejected: true)
        try await Self.send(32 * 1024, to: server, at: byOptions, rejected: false)
        try await Self.send(512, to: server, at: byQuery, rejected: false)
        try await Self.send(1024, to: server, at: byQuery, rejected: true)
        #expect(server.statistics.rejectedFrames == 2)
        await server.close()
    }

    /// A socket that never reconnects still reconnects to an endpoint whose query says so.
    @Test func queryTurnsReconnectOnForOneDialer() async throws {
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let events = client.events()
        let address = ConformanceTransport.ipc.uniqueAddress("reconnect")
        try await client.dial(address + "?reconnect=true&minReconnectInterval=1ms", waitForConnection: false)
        let delay = try await Await.event(events, "a reconnect scheduled") { event -> Duration? in
            if case .reconnectScheduled(_, let delay) = event { return delay }
            return nil
        }
        #expect(delay == .milliseconds(1))
        await client.close()
    }

    /// TCP no-delay is set per endpoint: off on the listener whose query says so, on (the default) elsewhere.
    @Test func tcpNoDelayPerEndpoint() async throws {
        let server = Socket()
        let client = Socket()
        let bound = try server.listen("tcp://127.0.0.1:0?tcpNoDelay=false")
        try await Marry.connect(client, to: server, at: "\(bound.endpoint)")
        for (socket, expected) in [(server, Int32(0)), (client, 1)] {
            let pipe = try #require(socket.connector.pipes.first)
            let fd = try #require(HostilePeerTests.descriptor(bound: pipe.localAddress, peer: pipe.remoteAddress))
            var value: Int32 = -1
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length)
            #expect(value == expected)
        }
        await client.close()
        await server.close()
    }

    /// The backlog is the socket's to set: with none, a connection arriving at the pipe limit is closed at
    /// once instead of waiting.
    @Test func socketSetsTheBacklog() async throws {
        let server = Socket(options: SocketOptions(connector: .init(pipeLimit: 1, backlog: 0)))
        let a = Socket()
        let b = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let address = try await Marry.connect(a, to: server, over: .tcp, label: "backlog")
        let bEvents = b.events()
        try await b.dial(address)
        _ = try await Await.event(bEvents, "B's pipe closed by the server") { event -> Bool? in
            if case .pipeRemoved = event { return true }
            return nil
        }
        #expect(server.statistics.pipesAdded == 1)
        await a.close()
        await b.close()
        await server.close()
    }

    /// The pipe limit has one home: the connector's options report the live value.
    @Test func pipeLimitHasOneSourceOfTruth() async {
        let socket = Socket(options: SocketOptions(connector: .init(pipeLimit: 1)))
        #expect(socket.connector.pipeLimit == 1)
        socket.connector.pipeLimit = 3
        #expect(socket.connector.options.pipeLimit == 3)
        await socket.close()
    }

    /// A listener is known by its endpoint: `Connector.stopListening` finds it by the address with or without the query,
    /// and the bound address keeps the query.
    @Test func stopListeningIgnoresTheQuery() async throws {
        let socket = Socket()
        let name = ConformanceTransport.inproc.uniqueAddress("stop")
        let bound = try socket.listen(name + "?maxReceiveSize=1024")
        #expect("\(bound)" == name + "?maxReceiveSize=1024")
        await socket.connector.stopListening(name)
        let again = try socket.listen(name)
        await socket.connector.stopListening("\(again)?raw=false")
        try socket.listen(name + "?maxReceiveSize=none")
        #expect(throws: MultiSocketError(.addressInUse)) { try socket.listen(name) }
        await socket.close()
    }
}
