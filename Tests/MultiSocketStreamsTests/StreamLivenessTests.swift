@_spi(Internals) import MultiSocketStreams
import MultiSocketTestSupport
import Testing

/// A peer that vanishes ends its streams with an error and leaves no table entry behind: its link cut
/// (the socket closed), or its messages no longer arriving (keep-alive probes unanswered); and streams
/// through a switch.
@Suite(.timeLimit(.minutes(3)))
struct StreamLivenessTests {
    /// Two streams; the client's socket closes without a word. The server's reads end with `connectionReset`
    /// once its pipe is removed, and both tables empty.
    @Test(arguments: [ConformanceTransport.inproc, .ipc, .tcp, .ws, .tls])
    func cutPipeEndsStreams(over transport: ConformanceTransport) async throws {
        let link = try await StreamLink.make(transport, label: "cut", server: StreamOptions(keepAliveInterval: nil))
        let listener = try link.server.listen("l")
        try await withTimeout(30, "streams ended by a cut pipe") {
            let clients = [try await link.client.connect("l", timeout: .seconds(10)),
                           try await link.client.connect("l", timeout: .seconds(10))]
            let servers = [try await listener.accept(timeout: .seconds(10)), try await listener.accept(timeout: .seconds(10))]
            try await clients[0].write([9])
            #expect(try await servers[0].read(upToCount: 1) == [9])
            await link.clientSocket.close()
            for server in servers {
                await #expect(throws: StreamError(.connectionReset)) { try await server.read(upToCount: 1) }
            }
            // The client's own streams ended too: its socket is gone.
            await #expect(throws: StreamError(.connectionClosed)) { try await clients[1].read(upToCount: 1) }
            #expect(link.server.tableCounts == (0, 0, 0))
            await eventually { link.client.tableCounts == (0, 0, 0) }
        }
        await link.finish()
    }

    /// Client → switch → server. The switch stops forwarding (its pipes stay up): keep-alive probes go
    /// unanswered and both sides' streams end with `keepAliveTimeout`, tables empty.
    @Test func unansweredProbesEndStreams() async throws {
        // Generous for a loaded CI machine: a silent peer is declared dead after 4 unanswered probes a second apart.
        let fast = StreamOptions(keepAliveInterval: .seconds(1), keepAliveProbes: 4)
        let server = Socket()
        let serverAddress = try server.listen(ConformanceTransport.tcp.uniqueAddress())
        let back = Socket()
        try await back.dial("\(serverAddress)")
        let front = Socket()
        let frontAddress = try front.listen(ConformanceTransport.tcp.uniqueAddress())
        let hub = Switch(back: back, front: front).start()
        let client = Socket()
        try await client.dial("\(frontAddress)")
        try await client.waitForPeers(1, timeout: .seconds(20))
        try await server.waitForPeers(1, timeout: .seconds(20))
        let serverEndpoint = StreamEndpoint(socket: server, options: fast)
        let clientEndpoint = StreamEndpoint(socket: client, options: fast)
        let listener = try serverEndpoint.listen("kept")

        try await withTimeout(60, "keep-alive loss") {
            async let accepted = listener.accept(timeout: .seconds(10))
            let connection = try await clientEndpoint.connect("kept", timeout: .seconds(10))
            let served = try await accepted
            // Idle for several intervals: probes are answered, the stream lives.
            served.readDeadline = .now + .milliseconds(2500)
            await #expect(throws: StreamError(.readTimeout)) { try await served.read(upToCount: 1) }
            served.readDeadline = nil
            try await connection.write([1])
            #expect(try await served.read(upToCount: 1) == [1])

            await hub.stop()
            await #expect(throws: StreamError(.keepAliveTimeout)) { try await served.read(upToCount: 1) }
            await #expect(throws: StreamError(.keepAliveTimeout)) { try await connection.read(upToCount: 1) }
            #expect(serverEndpoint.tableCounts == (0, 0, 0))
            #expect(clientEndpoint.tableCounts == (0, 0, 0))
        }
        await clientEndpoint.close()
        await serverEndpoint.close()
        for socket in [client, front, back, server] { await socket.close() }
    }

    /// Streams through two switches in a row, with a transfer both ways.
    @Test(arguments: [ConformanceTransport.inproc, .tcp, .ws])
    func throughSwitches(over transport: ConformanceTransport) async throws {
        let server = Socket()
        var target = try server.listen(transport.uniqueAddress("sw"))
        var sockets = [server]
        var hubs = [Switch]()
        for _ in 0..<2 {
            let back = Socket()
            try await back.dial("\(target)")
            let front = Socket()
            target = try front.listen(transport.uniqueAddress("sw"))
            hubs.append(Switch(back: back, front: front).start())
            sockets += [back, front]
        }
        let client = Socket()
        try await client.dial("\(target)")
        try await client.waitForPeers(1, timeout: .seconds(20))
        sockets.append(client)
        let serverEndpoint = StreamEndpoint(socket: server)
        let clientEndpoint = StreamEndpoint(socket: client)
        let listener = try serverEndpoint.listen("far")
        var random = FastRandom()
        let data = random.bytes(1 << 20)
        try await withTimeout(60, "a stream through two switches") {
            async let served: Void = {
                let stream = try await listener.accept(timeout: .seconds(20))
                let received = try await readRandomly(stream, seed: 1)
                try await writeRandomly(stream, received, seed: 2)
            }()
            let stream = try await clientEndpoint.connect("far", timeout: .seconds(20))
            async let sent: Void = writeRandomly(stream, data, seed: 3)
            let echoed = try await readRandomly(stream, seed: 4)
            try await sent
            try await served
            #expect(sameBytes(echoed, data))
        }
        #expect(serverEndpoint.tableCounts == (0, 0, 0))
        #expect(clientEndpoint.tableCounts == (0, 0, 0))
        await clientEndpoint.close()
        await serverEndpoint.close()
        for hub in hubs { await hub.stop() }
        for socket in sockets { await socket.close() }
    }
}
