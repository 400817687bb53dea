import MultiSocket
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct SmokeTests {
    @Test(arguments: ConformanceTransport.suite)
    func echo(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let client = Socket()
        try await Marry.connect(client, to: server, over: transport)
        try await client.send(Array("hello".utf8))
        let request = try await server.receive()
        #expect(request.content == Array("hello".utf8))
        #expect(request.hops == 1)
        try await server.sendTo(request.source, Array("world".utf8))
        let reply = try await client.receive()
        #expect(reply.content == Array("world".utf8))
        await client.close()
        await server.close()
    }
}
