import MultiSocket
import MultiSocketTestSupport
import Testing

/// Closing and cancellation: TestSocketCloseSender (reference §9), close during blocked calls, cancelled
/// receives.
@Suite(.timeLimit(.minutes(1)))
struct CloseTests {
    /// Client (send queue 64) sends 256 messages and closes at once: the server gets all 256, in order.
    /// The linger is long (32 MiB at the largest size can take more than the default 5 s to drain into a
    /// sanitized receiver on a loaded machine): what is tested is that close flushes, not how fast.
    @Test(arguments: ConformanceTransport.suite, [0, 512, 8192, 131_072])
    func noLossOnClose(over transport: ConformanceTransport, size: Int) async throws {
        let server = Socket()
        let client = Socket(options: SocketOptions(sendQueueSize: 64, linger: .seconds(60)))
        try await Marry.connect(client, to: server, over: transport, label: "closesend")

        let received = Task {
            var sizes: [Int] = []
            var stamps: [UInt32] = []
            for try await message in server.messages {
                sizes.append(message.content.count)
                if let id = stamp(of: message.content) { stamps.append(id) }
                if sizes.count == 256 { break }
            }
            return (sizes, stamps)
        }
        var random = FastRandom()
        let pool = random.bytes(size)
        for index in 0..<256 {
            try await client.send(slice(of: pool, offset: 0, count: size, stamp: UInt32(index)))
        }
        await client.close()
        let (sizes, stamps) = try await withTimeout(30, "256 messages after close") { try await received.value }
        #expect(sizes.count == 256)
        #expect(sizes.allSatisfy { $0 == size })
        if size >= 4 { #expect(stamps == (0..<256).map(UInt32.init)) }
        #expect(client.statistics.drops[.lingerExpired, default: 0] == 0)
        #expect(client.statistics.messagesSent == 256)
        await server.close()
    }

    /// Eight tasks receive on one socket: every message is delivered exactly once.
    @Test(arguments: ConformanceTransport.suite)
    func concurrentReceivers(over transport: ConformanceTransport) async throws {
        let total = 2000
        let server = Socket()
        let client = Socket()
        try await Marry.connect(client, to: server, over: transport, label: "receivers")

        let (progress, tick) = AsyncStream<Void>.makeStream()
        var receivers: [Task<[UInt32], any Error>] = []
        for _ in 0..<8 {
            receivers.append(Task {
                var ids: [UInt32] = []
                for try await message in server.messages {
                    ids.append(stamp(of: message.content)!)
                    tick.yield()
                }
                return ids
            })
        }
        for index in 0..<total {
            try await client.send(bigEndianBytes(UInt32(index)))
        }
        try await withTimeout(30, "\(total) receipts") {
            var seen = 0
            for await _ in progress {
                seen += 1
                if seen == total { return }
            }
        }
        await server.close()  // ends every receiver's loop
        var all: [UInt32] = []
        var busy = 0
        for receiver in receivers {
            let ids = try await receiver.value
            if !ids.isEmpty { busy += 1 }
            all += ids
        }
        #expect(all.count == total)
        #expect(Set(all) == Set((0..<total).map(UInt32.init)))
        #expect(busy >= 1)
        await client.close()
    }

    /// A cancelled receive consumes nothing: the next message goes to a fresh receive.
    @Test(arguments: ConformanceTransport.suite)
    func cancelledReceiveConsumesNothing(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let client = Socket()
        try await Marry.connect(client, to: server, over: transport, label: "cancel")
        let waiting = Task { try await server.receive() }
        for _ in 0..<20 { await Task.yield() }  // give it a chance to suspend; either way it must not consume
        waiting.cancel()
        let outcome = await waiting.result
        #expect(throws: CancellationError.self) { try outcome.get() }

        try await client.send(Array("only".utf8))
        let got = try await withTimeout(10, "the message after a cancelled receive") { try await server.receive() }
        #expect(got.content == Array("only".utf8))
        #expect(server.statistics.messagesReceived == 1)
        await client.close()
        await server.close()
    }

    /// A receiver cancelled while others wait does not lose the next message either.
    @Test func cancelledReceiverAmongOthers() async throws {
        let (left, right) = Socket.pair()
        let cancelled = Task { try await right.receive() }
        let kept = Task { try await right.receive() }
        for _ in 0..<20 { await Task.yield() }
        cancelled.cancel()
        _ = await cancelled.result
        try await left.send([7])
        #expect(try await kept.value.content == [7])
        await left.close()
        await right.close()
    }

    /// close() ends a send blocked on a full queue (no peer) and a blocked receive with `closed`.
    @Test func closeEndsBlockedSendAndReceive() async throws {
        let socket = Socket(options: SocketOptions(sendQueueSize: 1, linger: .milliseconds(50)))
        try await socket.send([1])  // fills the queue: no pipe will ever take it
        let sender = Task { try await socket.send([2]) }
        let receiver = Task { try await socket.receive() }
        for _ in 0..<20 { await Task.yield() }
        await socket.close()
        let sent = await sender.result
        let received = await receiver.result
        #expect(throws: MultiSocketError(.closed)) { try sent.get() }
        #expect(throws: MultiSocketError(.closed)) { try received.get() }
        // The one queued message could not be delivered within the linger time.
        #expect(socket.statistics.drops[.lingerExpired] == 1)
        // Closing twice is fine; later calls fail with closed.
        await socket.close()
        await #expect(throws: MultiSocketError(.closed)) { try await socket.send([3]) }
        await #expect(throws: MultiSocketError(.closed)) { try await socket.receive() }
    }

    /// Messages received before close stay available, then `closed`.
    @Test func receiveDrainsAfterClose() async throws {
        let (left, right) = Socket.pair()
        try await left.send([1])
        try await left.send([2])
        await left.close()
        await Marry.waitForPipesDown(right, to: 0)
        await right.close()
        #expect(try await right.receive().content == [1])
        #expect(try await right.receive().content == [2])
        await #expect(throws: MultiSocketError(.closed)) { try await right.receive() }
    }

    /// Concurrent close calls all return.
    @Test func concurrentCloses() async throws {
        let server = Socket()
        let client = Socket()
        try await Marry.connect(client, to: server, over: .tcp, label: "closes")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { await client.close() } }
            for _ in 0..<8 { group.addTask { await server.close() } }
        }
        await #expect(throws: MultiSocketError(.closed)) { try await client.send([1]) }
    }
}
