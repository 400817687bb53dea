import MultiSocket
import MultiSocketTestSupport
import Testing

/// Bounded queues under pressure: nothing is lost or duplicated when senders wait and receivers pause.
@Suite(.timeLimit(.minutes(1)))
struct FlowControlTests {
    /// A tiny receive queue pauses the pipe again and again; every message still arrives, in order.
    @Test(arguments: ConformanceTransport.suite)
    func receiveBackPressureKeepsOrder(over transport: ConformanceTransport) async throws {
        let total = 3000
        let server = Socket(options: SocketOptions(receiveQueueSize: 2))
        let client = Socket(options: SocketOptions(sendQueueSize: 4))
        try await Marry.connect(client, to: server, over: transport, label: "backpressure")
        let sender = Task {
            for index in 0..<total { try await client.send(bigEndianBytes(UInt32(index)) + [UInt8](repeating: 1, count: 100)) }
        }
        var outOfOrder = 0
        for index in 0..<total {
            let message = try await server.receive()
            if stamp(of: message.content) != UInt32(index) { outOfOrder += 1 }
            if index % 7 == 0 { await Task.yield() }
        }
        try await sender.value
        #expect(outOfOrder == 0)
        #expect(server.statistics.messagesReceived == total)
        await client.close()
        await server.close()
    }

    /// Eight tasks send through tiny queues at once: each message arrives exactly once.
    @Test(arguments: ConformanceTransport.suite)
    func concurrentSendersLoseNothing(over transport: ConformanceTransport) async throws {
        let senders = 8
        let each = 500
        let server = Socket(options: SocketOptions(receiveQueueSize: 4))
        let client = Socket(options: SocketOptions(sendQueueSize: 1))
        try await Marry.connect(client, to: server, over: transport, label: "senders")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    for index in 0..<each { try await client.send(bigEndianBytes(UInt32(sender * each + index))) }
                }
            }
            var seen = Set<UInt32>()
            var duplicates = 0
            for _ in 0..<(senders * each) {
                let id = stamp(of: try await server.receive().content)!
                if !seen.insert(id).inserted { duplicates += 1 }
            }
            try await group.waitForAll()
            #expect(duplicates == 0)
            #expect(seen == Set((0..<(senders * each)).map(UInt32.init)))
        }
        await client.close()
        await server.close()
    }

    /// Many tasks answer along paths through one small pipe queue (sendTo waits for the pipe to drain).
    @Test(arguments: ConformanceTransport.suite)
    func concurrentPathSendersWaitForThePipe(over transport: ConformanceTransport) async throws {
        let total = 2000
        let server = Socket(options: SocketOptions(sendQueueSize: 1))
        let client = Socket(options: SocketOptions(receiveQueueSize: 2))
        try await Marry.connect(client, to: server, over: transport, label: "pathsenders")
        try await client.send([0])
        let path = try await server.receive().source
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: total, by: 8) {
                        try await server.sendTo(path, bigEndianBytes(UInt32(index)))
                    }
                }
            }
            var seen = Set<UInt32>()
            for _ in 0..<total { seen.insert(stamp(of: try await client.receive().content)!) }
            try await group.waitForAll()
            #expect(seen.count == total)
        }
        #expect(server.statistics.messagesSent == total)
        await client.close()
        await server.close()
    }

    /// To-one sends are spread over several peers (the next idle pipe takes each).
    @Test func toOneSpreadsOverPeers() async throws {
        let client = Socket()
        let servers = (0..<3).map { _ in Socket(options: SocketOptions(receiveQueueSize: 1)) }
        for server in servers { try await Marry.connect(client, to: server, over: .inproc, label: "spread") }
        await Marry.waitForPipes(client, count: 3)
        let total = 300
        try await withThrowingTaskGroup(of: Int.self) { group in
            for server in servers {
                group.addTask {
                    var count = 0
                    for try await _ in server.messages { count += 1 }
                    return count
                }
            }
            for index in 0..<total { try await client.send(bigEndianBytes(UInt32(index))) }
            await client.close()
            var counts: [Int] = []
            for server in servers {
                await Marry.waitForPipesDown(server, to: 0)
                await server.close()
            }
            for try await count in group { counts.append(count) }
            #expect(counts.reduce(0, +) == total)
            #expect(counts.filter { $0 > 0 }.count >= 2, "to-one sends went to one peer only: \(counts)")
        }
    }
}
