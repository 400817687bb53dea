import MultiSocket
import MultiSocketTestSupport
import Testing

/// TestScalability* (reference §9), scaled to a 2-core debug run.
@Suite(.timeLimit(.minutes(2)))
struct ScaleTests {
    /// 2000 inproc clients × 10 request/reply round trips against one server.
    @Test func inprocSendReply() async throws {
        let clients = 2000
        let trips = 10
        let server = Socket()
        let address = try server.listen(ConformanceTransport.inproc.uniqueAddress("scale"))
        let echo = Task {
            var count = 0
            for try await message in server.messages {
                try await server.sendTo(message.source, Array("pong".utf8) + message.content)
                count += 1
            }
            return count
        }
        let ok = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<clients {
                group.addTask {
                    let client = Socket()
                    try await client.dial("\(address)")
                    var good = 0
                    for trip in 0..<trips {
                        let content = bigEndianBytes(UInt32(index)) + [UInt8(trip)]
                        try await client.send(content)
                        let reply = try await client.receive()
                        if reply.content == Array("pong".utf8) + content { good += 1 }
                    }
                    await client.close()
                    return good
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(ok == clients * trips)
        await server.close()
        #expect(try await echo.value == clients * trips)
    }

    /// 200 tcp clients each receive 10 `sendAll` broadcasts.
    @Test func tcpSendAll() async throws {
        let clients = 200
        let rounds = 10
        let server = Socket()
        let address = try server.listen("tcp://127.0.0.1:0")
        var sockets: [Socket] = []
        for _ in 0..<clients {
            let client = Socket()
            try await client.dial("\(address)")
            sockets.append(client)
        }
        await Marry.waitForPipes(server, count: clients)
        #expect(server.statistics.pipes == clients)
        for round in 0..<rounds { try await server.sendAll([UInt8(round)]) }
        let received = try await withThrowingTaskGroup(of: Bool.self) { group in
            for client in sockets {
                group.addTask {
                    var got: [UInt8] = []
                    for _ in 0..<rounds { got += try await client.receive().content }
                    return got == (0..<rounds).map(UInt8.init)
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(received == clients)
        #expect(server.statistics.messagesSent == clients * rounds)
        for client in sockets { await client.close() }
        await server.close()
    }
}
