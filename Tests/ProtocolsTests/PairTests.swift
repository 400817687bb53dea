import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct PairTests {
    @Test(arguments: ConformanceTransport.suite)
    func exchangeBothWays(over transport: ConformanceTransport) async throws {
        let a = Pair()
        let b = Pair()
        try await connect(a, to: b, over: transport)
        try await a.send(bytes("ping"))
        #expect(text(try await b.receive().content) == "ping")
        try await b.send(bytes("pong"))
        #expect(text(try await a.receive().content) == "pong")
        await a.close()
        await b.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func secondPeerWaitsUntilTheFirstLeaves(over transport: ConformanceTransport) async throws {
        let server = Pair()
        let first = Pair()
        let second = Pair()
        let address = try await connect(first, to: server, over: transport)
        try await second.dial(address, waitForConnection: false)
        try await second.send(bytes("from second"))
        try await first.send(bytes("from first"))
        #expect(text(try await server.receive().content) == "from first")
        #expect(server.statistics.pipes == 1)
        #expect(server.socket.connector.pipeLimit == 1)
        await first.close()
        // Only now is the second peer admitted and served.
        #expect(text(try await server.receive().content) == "from second")
        await second.close()
        await server.close()
    }
}
