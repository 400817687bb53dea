import MultiSocket
import MultiSocketTestSupport
import Testing

/// Receiving with a deadline or without waiting, send deadlines, waiting for peers, text content.
@Suite(.timeLimit(.minutes(1)))
struct DeadlineTests {
    @Test func receiveWithATimeoutThrowsTimedOutAndConsumesNothing() async throws {
        let (a, b) = Socket.pair()
        await #expect(throws: MultiSocketError.self) { _ = try await b.receive(timeout: .milliseconds(50)) }
        do {
            _ = try await b.receive(timeout: .milliseconds(10))
            Issue.record("expected timedOut")
        } catch let error as MultiSocketError {
            #expect(error.code == .timedOut)
        }
        try await a.send("after")
        #expect(try await b.receive(timeout: .seconds(20)).text == "after", "the timed-out receivers took nothing")
        await a.close()
        await b.close()
    }

    @Test func theSocketsReceiveTimeoutAppliesToEveryReceive() async throws {
        let (a, b) = Socket.pair(options: SocketOptions(receiveTimeout: .milliseconds(30)))
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await b.receive()
            Issue.record("expected timedOut")
        } catch let error as MultiSocketError {
            #expect(error.code == .timedOut)
        }
        #expect(clock.now - start >= .milliseconds(30))
        try await a.send([1])
        #expect(try await b.receive().content == [1])
        await a.close()
        await b.close()
    }

    @Test func tryReceiveNeverWaits() async throws {
        let (a, b) = Socket.pair()
        #expect(try b.tryReceive() == nil)
        try await a.send("one")
        let message = try await b.receive(timeout: .seconds(20))
        #expect(message.text == "one")
        try await a.send("two")
        try await a.send("three")
        // Wait for "three" the ordinary way, then "two"… no: order is kept, so drain with tryReceive once both
        // have arrived (the second receive proves the first is queued).
        var texts: [String] = []
        texts.append(try await b.receive(timeout: .seconds(20)).text)
        while let next = try b.tryReceive() { texts.append(next.text) }
        if texts.count < 2 { texts.append(try await b.receive(timeout: .seconds(20)).text) }
        #expect(texts == ["two", "three"])
        await a.close()
        await b.close()
        #expect(throws: MultiSocketError.self) { try b.tryReceive() }
    }

    /// With no peer, to-one messages wait in the shared queue; once it is full a send waits for room, and
    /// `sendTimeout` bounds that wait: it throws `timedOut` and sends nothing.
    @Test func aSendThatFindsNoRoomTimesOut() async throws {
        let socket = Socket(options: SocketOptions(sendQueueSize: 1, linger: .zero, sendTimeout: .milliseconds(40)))
        try await socket.send([1])  // queued
        do {
            try await socket.send([2])
            Issue.record("expected timedOut")
        } catch let error as MultiSocketError {
            #expect(error.code == .timedOut)
        }
        // The queue still holds only the first message: a peer gets it and nothing else.
        let peer = Socket()
        let address = try peer.listen(ConformanceTransport.inproc.uniqueAddress("sendtimeout"))
        try await socket.dial("\(address)")
        #expect(try await peer.receive(timeout: .seconds(20)).content == [1])
        #expect(try peer.tryReceive() == nil)
        await socket.close()
        await peer.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func waitForPeersReturnsOnceThePeersAreThere(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let address = try server.listen(transport.uniqueAddress("waitpeers"))
        do {
            try await server.waitForPeers(1, timeout: .milliseconds(30))
            Issue.record("expected timedOut: nobody dialed")
        } catch let error as MultiSocketError {
            #expect(error.code == .timedOut)
        }
        let clients = [Socket(), Socket()]
        async let waited: Void = server.waitForPeers(2, timeout: .seconds(20))
        for client in clients { try await client.dial("\(address)") }
        try await waited
        #expect(server.statistics.pipes >= 2)
        try await server.waitForPeers(2, timeout: .zero)  // already there: returns at once
        for client in clients { await client.close() }
        await server.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func textAndByteSequencesAreContent(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let client = Socket()
        try await Marry.connect(client, to: server, over: transport, label: "text")
        try await client.send("héllo")
        try await client.send(contentsOf: [UInt8](repeating: 7, count: 10)[2...5])
        let text = try await server.receive(timeout: .seconds(20))
        #expect(text.text == "héllo" && text.content == Array("héllo".utf8))
        #expect(try await server.receive(timeout: .seconds(20)).content == [7, 7, 7, 7])
        try await server.sendTo(text.source, "back")
        #expect(try await client.receive(timeout: .seconds(20)).text == "back")
        await client.close()
        await server.close()
    }
}
