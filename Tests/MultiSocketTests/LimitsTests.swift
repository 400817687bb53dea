import MultiSocket
import MultiSocketTestSupport
import Testing

/// TestSocketMaxRecvContentLength (reference §9) and the pipe limit (reference §3.3).
@Suite(.timeLimit(.minutes(1)))
struct LimitsTests {
    /// Server max = 3/4 size; the client sends 20 messages sized max−10+i. The 11 sized max−10…max arrive
    /// (in order); the one sized max+1 is rejected and closes its pipe, so nothing longer ever arrives.
    @Test(arguments: ConformanceTransport.suite, [512, 8192, 131_072])
    func maxReceiveSize(over transport: ConformanceTransport, size: Int) async throws {
        let max = size * 3 / 4
        let server = Socket(options: SocketOptions(connector: .init(endpoint: .init(maxReceiveSize: max))))
        // No reconnect: once the oversize frame closed the pipe, the rest of the messages have nowhere to go.
        let client = Socket(options: SocketOptions(
            linger: .milliseconds(50), connector: .init(endpoint: .init(reconnect: false, maxReceiveSize: 256 * 1024))))
        try await Marry.connect(client, to: server, over: transport, label: "maxrecv")
        let events = server.events()

        for index in 0..<20 {
            try await client.send([UInt8](repeating: UInt8(index), count: max - 10 + index))
        }

        for index in 0...10 {
            let message = try await server.receive()
            #expect(message.content.count == max - 10 + index)
            #expect(message.content.count <= max)
            #expect(message.content.first == UInt8(index))
        }
        let reason = try await Await.event(events, "frameRejected") { event -> FrameError? in
            if case .frameRejected(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == .tooLarge(length: max + 1, limit: max))
        await Marry.waitForPipesDown(server, to: 0)
        let stats = server.statistics
        #expect(stats.rejectedFrames >= 1)
        #expect(stats.pipesRemoved == 1)
        // The pipe is gone and it carried the frames in order: exactly the 11 that fit were received.
        #expect(stats.messagesReceived == 11)

        await client.close()
        await server.close()
        // Whatever is left must not be an oversize message.
        while let extra = try? await server.receive() {
            Issue.record("unexpected extra message of \(extra.content.count) bytes")
        }
    }

    /// Server pipe limit 1: B's pipe waits (unadmitted) while A is connected, then B's message arrives.
    @Test(arguments: ConformanceTransport.suite)
    func pipeLimit(over transport: ConformanceTransport) async throws {
        let server = Socket(options: SocketOptions(connector: .init(pipeLimit: 1)))
        let a = Socket()
        let b = Socket()
        let address = try await Marry.connect(a, to: server, over: transport, label: "limit")
        try await a.send(Array("a0".utf8))
        #expect(try await server.receive().content == Array("a0".utf8))

        // B connects at the transport level (its own side has a pipe) but the server does not admit it.
        let bEvents = b.events()
        try await b.dial(address)
        await Marry.waitForPipe(bEvents, unlessAlready: b.statistics.pipesAdded > 0)
        try await b.send(Array("b".utf8))
        try await a.send(Array("a1".utf8))
        let next = try await server.receive()
        #expect(next.content == Array("a1".utf8))
        #expect(server.statistics.pipes == 1)
        #expect(server.statistics.pipesAdded == 1)
        #expect(server.statistics.messagesReceived == 2)

        await a.close()
        let late = try await withTimeout(20, "B's message after A left") { try await server.receive() }
        #expect(late.content == Array("b".utf8))
        #expect(server.statistics.pipesAdded == 2)
        #expect(server.statistics.pipes == 1)

        await b.close()
        await server.close()
    }

    /// `Connector.pipeLimit` can be raised later: waiting connections are admitted at once.
    @Test func raisingPipeLimitAdmitsWaiting() async throws {
        let server = Socket(options: SocketOptions(connector: .init(pipeLimit: 1)))
        let a = Socket()
        let b = Socket()
        let address = try await Marry.connect(a, to: server, over: .inproc, label: "raise")
        try await b.dial(address)
        try await b.send(Array("b".utf8))
        #expect(server.statistics.pipes == 1)
        server.connector.pipeLimit = 2
        #expect(try await server.receive().content == Array("b".utf8))
        #expect(server.statistics.pipes == 2)
        await a.close()
        await b.close()
        await server.close()
    }
}
