import MultiSocket
import MultiSocketTestSupport
import Testing

/// Small queues on both sides force every pause/resume and drain path; nothing may be lost or reordered.
@Suite(.timeLimit(.minutes(1)))
struct BackPressureTests {
    @Test(arguments: ConformanceTransport.suite, [4, 1000])
    func tinyQueuesLoseAndReorderNothing(over transport: ConformanceTransport, size: Int) async throws {
        let options = SocketOptions(sendQueueSize: 2, receiveQueueSize: 2)
        let server = Socket(options: options)
        let client = Socket(options: options)
        try await Marry.connect(client, to: server, over: transport)
        let count = 5000
        async let sent: Void = {
            for index in 0..<count {
                var content = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
                content.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(index).bigEndian, Array.init))
                try await client.send(content)
            }
        }()
        for expected in 0..<count {
            let message = try await server.receive()
            let index = message.content.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            #expect(index == expected)
            if index != expected { break }
        }
        try await sent
        #expect(server.statistics.totalDrops == 0)
        await client.close()
        await server.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func repliesThroughAFullPipeWaitForRoom(over transport: ConformanceTransport) async throws {
        let options = SocketOptions(sendQueueSize: 1, receiveQueueSize: 1)
        let server = Socket(options: options)
        let client = Socket(options: options)
        try await Marry.connect(client, to: server, over: transport)
        try await client.send([0])
        let request = try await server.receive()
        let count = 2000
        async let replies: Void = {
            for index in 0..<count {
                try await server.sendTo(request.source, Array(repeating: UInt8(truncatingIfNeeded: index), count: 512))
            }
        }()
        for index in 0..<count {
            let reply = try await client.receive()
            #expect(reply.content.first == UInt8(truncatingIfNeeded: index))
        }
        try await replies
        await client.close()
        await server.close()
    }
}
