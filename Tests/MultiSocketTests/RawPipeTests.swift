import MultiSocket
import MultiSocketTestSupport
import Testing

/// Raw pipes (reference §1.5): a plain TCP or Unix client talks bytes to a raw listener.
@Suite(.timeLimit(.minutes(1)))
struct RawPipeTests {
    @Test(arguments: [ConformanceTransport.tcp, .ipc])
    func plainClientIsAnsweredThroughItsPath(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let address = try server.listen(transport.uniqueAddress("raw"), options: EndpointOptions(raw: true))
        let client = try PlainClient(address)
        defer { client.close() }

        let connected = try await server.receive()
        #expect(connected.kind == .connected)
        #expect(connected.flags.contains(.raw))
        #expect(connected.hops == 1)
        #expect(connected.ttl == 15)

        try client.write(Array("hello".utf8))
        let data = try await server.receive()
        #expect(data.kind == .data)
        #expect(data.content == Array("hello".utf8))
        #expect(data.source == connected.source)

        try await server.sendTo(data.source, Array("world".utf8))
        #expect(await client.read(count: 5) == Array("world".utf8))

        client.shutdownWrite()
        let end = try await server.receive()
        #expect(end.kind == .endOfStream)
        await server.close()
    }

    @Test
    func rawDataIsNeverForwardedToFramedPeers() async throws {
        let server = Socket()
        let address = try server.listen(ConformanceTransport.tcp.uniqueAddress() + "?raw=true")
        let client = try PlainClient(address)
        defer { client.close() }
        _ = try await server.receive()
        try client.write([1, 2, 3])
        let data = try await server.receive()

        let (left, right) = Socket.pair()
        try await left.forward(data)
        #expect(left.statistics.drops[.rawMessage] == 1)
        #expect(right.statistics.messagesReceived == 0)
        await left.close()
        await right.close()
        await server.close()
    }

    @Test
    func rawOverInprocIsABadAddress() async throws {
        let server = Socket()
        let address = ConformanceTransport.inproc.uniqueAddress()
        #expect(throws: MultiSocketError(.badAddress)) { try server.listen(address, options: EndpointOptions(raw: true)) }
        #expect(throws: MultiSocketError(.badAddress)) { try server.listen(address + "?raw=true") }
        await #expect(throws: MultiSocketError(.badAddress)) {
            try await server.dial(address, options: EndpointOptions(raw: true), waitForConnection: false)
        }
        await server.close()
    }
}
