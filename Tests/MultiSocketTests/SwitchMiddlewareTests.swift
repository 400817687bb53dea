import MultiSocket
@_spi(Internals) import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// A switch starts nothing by itself, runs as a structured task, routes through middleware that waits
/// concurrently (order kept per source), and can answer messages itself.
@Suite(.timeLimit(.minutes(1)))
struct SwitchMiddlewareTests {
    /// A server, a switch in front of it, and `clients` clients on the switch's front (all inproc).
    private func topology(_ label: String, clients count: Int, concurrency: Int = 1,
                          router: Switch.Router? = nil) async throws -> (Socket, Switch, [Socket]) {
        let server = Socket()
        let back = Socket()
        let front = Socket()
        try await Marry.connect(back, to: server, over: .inproc, label: "\(label)-server")
        let address = try front.listen(ConformanceTransport.inproc.uniqueAddress("\(label)-front"))
        var clients: [Socket] = []
        for _ in 0..<count {
            let client = Socket()
            try await Marry.connect(client, to: front, at: "\(address)")
            clients.append(client)
        }
        let hub = router.map { Switch(back: back, front: front, concurrency: concurrency, router: $0) }
            ?? Switch(back: back, front: front, concurrency: concurrency)
        return (server, hub, clients)
    }

    private func close(_ server: Socket, _ hub: Switch, _ clients: [Socket]) async {
        for client in clients { await client.close() }
        await hub.front.close()
        await hub.back.close()
        await server.close()
    }

    @Test func nothingIsForwardedUntilItRunsAndCancellingRunStopsIt() async throws {
        let (server, hub, clients) = try await topology("norun", clients: 1)
        try await clients[0].send("early")
        await #expect(throws: MultiSocketError.self) { _ = try await server.receive(timeout: .milliseconds(100)) }
        let running = Task { await hub.run() }
        #expect(try await server.receive(timeout: .seconds(20)).text == "early")
        running.cancel()
        await running.value  // returns: run() ends with its task
        try await clients[0].send("after")
        await #expect(throws: MultiSocketError.self) { _ = try await server.receive(timeout: .milliseconds(100)) }
        #expect(hub.statistics.forwarded == 1)
        await close(server, hub, clients)
    }

    /// Four clients' messages wait in a middleware until four are in it at once: only a switch that runs its
    /// middleware concurrently gets there (one that ran them one by one would give up on each after 10 s).
    @Test func aWaitingMiddlewareRunsForManySourcesAtOnce() async throws {
        let inFlight = Locked((now: 0, most: 0))  // Locked, not Mutex: the thread sanitizer sees its lock
        let gate = Barrier(parties: 4)
        let opened = Locked(0)
        let (server, hub, clients) = try await topology("concurrent", clients: 4, concurrency: 8) { message, _ in
            inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            if await gate.arrive(within: .seconds(10)) { opened.withLock { $0 += 1 } }
            inFlight.withLock { $0.now -= 1 }
            return .forward(message)
        }
        hub.start()
        for client in clients { try await client.send("hi") }
        for _ in clients { _ = try await server.receive(timeout: .seconds(20)) }
        #expect(inFlight.withLock { $0.most } == 4)
        #expect(opened.withLock { $0 } == 4, "every message found the other three in the middleware")
        await hub.stop()
        await close(server, hub, clients)
    }

    /// With concurrent routing, each source's messages still arrive in the order it sent them.
    @Test func orderIsKeptPerSource() async throws {
        let (server, hub, clients) = try await topology("order", clients: 3, concurrency: 4) { message, _ in
            // Uneven waits: later messages of a source would overtake earlier ones if they were routed at once.
            if message.content.last.map({ $0 % 3 == 0 }) == true { try? await Task.sleep(for: .milliseconds(2)) }
            return .forward(message)
        }
        hub.start()
        for (index, client) in clients.enumerated() {
            Task { for number in 0..<30 { try await client.send([UInt8(index), UInt8(number)]) } }
        }
        var seen: [[UInt8]] = [[], [], []]
        for _ in 0..<90 {
            let message = try await server.receive(timeout: .seconds(20))
            seen[Int(message.content[0])].append(message.content[1])
        }
        #expect(seen.allSatisfy { $0 == Array(0..<30) })
        await hub.stop()
        await close(server, hub, clients)
    }

    @Test func aRouterAnswersAMessageItself() async throws {
        let (server, hub, clients) = try await topology("answer", clients: 1) { message, _ in
            message.text == "ping" ? .answer(Array("pong".utf8)) : .forward(message)
        }
        hub.start()
        try await clients[0].send("ping")
        #expect(try await clients[0].receive(timeout: .seconds(20)).text == "pong")
        try await clients[0].send("work")
        #expect(try await server.receive(timeout: .seconds(20)).text == "work", "the ping never reached the server")
        #expect(hub.statistics.answered == 1 && hub.statistics.forwarded == 1)
        await hub.stop()
        await close(server, hub, clients)
    }
}
