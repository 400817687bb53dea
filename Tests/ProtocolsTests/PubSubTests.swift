import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct PubSubTests {
    @Test(arguments: ConformanceTransport.suite)
    func subscribersFilterByPrefix(over transport: ConformanceTransport) async throws {
        let pub = Pub()
        let topicA = Sub(), everything = Sub(), onlyEnd = Sub()
        topicA.subscribe("a")
        topicA.subscribe("z")
        everything.subscribe([])
        onlyEnd.subscribe("z")
        let address = try await connect(topicA, to: pub, over: transport)
        try await connect(everything, to: pub, at: address)
        try await connect(onlyEnd, to: pub, at: address)
        for message in ["a1", "b1", "a2", "z-end"] { try await pub.publish(bytes(message)) }
        var gotA: [String] = []
        for _ in 0..<3 { gotA.append(text(try await topicA.receive().content)) }
        #expect(gotA == ["a1", "a2", "z-end"])
        var gotAll: [String] = []
        for _ in 0..<4 { gotAll.append(text(try await everything.receive().content)) }
        #expect(gotAll == ["a1", "b1", "a2", "z-end"])
        #expect(text(try await onlyEnd.receive().content) == "z-end")
        #expect(onlyEnd.filtered == 3)
        #expect(topicA.filtered == 1)
        #expect(everything.filtered == 0)
        for role in [pub, topicA, everything, onlyEnd] as [any ProtocolRole] { await role.close() }
    }

    @Test(arguments: ConformanceTransport.suite)
    func subscriptionsChangeAtAnyTime(over transport: ConformanceTransport) async throws {
        let pub = Pub()
        let sub = Sub()
        try await connect(sub, to: pub, over: transport)
        try await pub.publish(bytes("nobody subscribed"))
        sub.subscribe("news")
        try await pub.publish(bytes("news 1"))
        #expect(text(try await sub.receive().content) == "news 1")
        #expect(sub.filtered == 1)
        sub.unsubscribe("news")
        sub.subscribe("sport")
        #expect(sub.subscriptions == [bytes("sport")])
        try await pub.publish(bytes("news 2"))
        try await pub.publish(topic: "sport", bytes(" 1"))
        #expect(text(try await sub.receive().content) == "sport 1")
        #expect(sub.filtered == 2)
        await pub.close()
        await sub.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func slowSubscriberNeverBlocksThePublisher(over transport: ConformanceTransport) async throws {
        let pub = Pub(options: SocketOptions(sendQueueSize: 4, linger: .milliseconds(200)))
        let slow = Sub(options: SocketOptions(receiveQueueSize: 1))
        let fast = Sub()
        slow.subscribe([])
        fast.subscribe([])
        let address = try await connect(slow, to: pub, over: transport)
        try await connect(fast, to: pub, at: address)
        let payload = [UInt8](repeating: 7, count: 16 * 1024)
        let reader = Task {
            var count = 0
            while let message = try? await fast.receive(), message.content.count > 1 { count += 1 }
            return count
        }
        for _ in 0..<2000 { try await pub.publish(payload) }  // finishes although `slow` never reads
        let drops = pub.statistics.drops[.queueFull] ?? 0
        #expect(drops > 0)
        #expect(pub.statistics.messagesSent + drops == 2 * 2000)
        await fast.close()
        _ = await reader.value
        await pub.close()
        await slow.close()
    }
}
