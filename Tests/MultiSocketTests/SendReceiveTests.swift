import MultiSocket
import MultiSocketTestSupport
import Testing

/// TestSocketSendRecv (reference §9): 1000 echoed round trips of random content per size and transport.
@Suite(.timeLimit(.minutes(2)))
struct SendReceiveTests {
    static let sizes = [0, 256, 2048, 16384, 131_072]
    static let roundTrips = 1000

    @Test(arguments: ConformanceTransport.suite, SendReceiveTests.sizes)
    func echoRoundTrips(over transport: ConformanceTransport, size: Int) async throws {
        let options = SocketOptions(connector: .init(endpoint: .init(maxReceiveSize: 256 * 1024)))
        let server = Socket(options: options)
        let client = Socket(options: options)
        try await Marry.connect(client, to: server, over: transport, label: "sendrecv")

        let echo = Task {
            var count = 0
            for try await message in server.messages {
                try await server.sendTo(message.source, message.content)
                count += 1
            }
            return count
        }

        var random = FastRandom()
        let pool = random.bytes(2 * size + 8)
        var mismatches = 0
        for trip in 0..<Self.roundTrips {
            let length = size == 0 ? 0 : Int.random(in: (size / 2)...size, using: &random)
            let offset = Int.random(in: 0...(pool.count - length), using: &random)
            let content = slice(of: pool, offset: offset, count: length, stamp: UInt32(trip))
            try await client.send(content)
            let reply = try await client.receive()
            if !sameBytes(reply.content, content) {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("trip \(trip): sent \(content.count) bytes, got \(reply.content.count) different bytes")
                }
            }
            #expect(reply.hops == 1)
        }
        #expect(mismatches == 0)

        await client.close()
        await server.close()
        #expect(try await echo.value == Self.roundTrips)
        #expect(server.statistics.rejectedFrames == 0)
        #expect(client.statistics.totalDrops == 0)
    }

    @Test func pairEcho() async throws {
        let (left, right) = Socket.pair()
        try await left.send(Array("ping".utf8))
        let request = try await right.receive()
        #expect(request.content == Array("ping".utf8))
        #expect(request.hops == 1)
        #expect(request.ttl == Message.defaultTTL - 1)
        try await right.sendTo(request.source, Array("pong".utf8))
        let reply = try await left.receive()
        #expect(reply.content == Array("pong".utf8))
        #expect(reply.hops == 1)
        await left.close()
        await right.close()
    }
}
