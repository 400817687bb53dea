import MultiSocket
import MultiSocketTestSupport
import Testing

/// Listener restart with reconnect (DESIGN §9 faults, reference §3.4).
@Suite(.timeLimit(.minutes(1)))
struct ReconnectTests {
    /// The server goes away; messages sent meanwhile wait in the client's queue; a new server on the same
    /// address gets them once the client has reconnected by itself.
    @Test(arguments: ConformanceTransport.suite)
    func queuedMessagesArriveAfterReconnect(over transport: ConformanceTransport) async throws {
        let options = SocketOptions(connector: .init(endpoint: .init(
            minReconnectInterval: .milliseconds(10), maxReconnectInterval: .milliseconds(100))))
        let first = Socket()
        let client = Socket(options: options)
        let bound = try first.listen(transport.uniqueAddress("reconnect"))
        let address = "\(bound)"  // tcp: the real port, so the second server can take the same one
        try await Marry.connect(client, to: first, at: address)
        try await client.send([0])
        #expect(try await first.receive().content == [0])

        let clientEvents = client.events()
        await first.close()
        await Marry.waitForPipesDown(client, to: 0)

        for index in 1...5 { try await client.send([UInt8(index)]) }  // queued: no pipe now
        #expect(client.statistics.messagesSent == 1)

        let second = Socket()
        try second.listen(address)
        try await withTimeout(20, "client reconnect") {
            for await event in clientEvents {
                if case .pipeAdded = event { return }
            }
            throw TimeoutError(what: "pipeAdded (stream ended)", seconds: 0)
        }
        for index in 1...5 {
            let message = try await withTimeout(20, "queued message \(index)") { try await second.receive() }
            #expect(message.content == [UInt8(index)])
        }
        #expect(client.statistics.pipesAdded == 2)
        #expect(client.statistics.reconnectsScheduled >= 1)
        await client.close()
        await second.close()
    }

    /// With reconnect off, a lost pipe stays lost and the dialer does not retry.
    @Test func noReconnectWhenDisabled() async throws {
        let server = Socket()
        let client = Socket(options: SocketOptions(linger: .milliseconds(10),
                                                   connector: .init(endpoint: .init(reconnect: false))))
        try await Marry.connect(client, to: server, over: .inproc, label: "noreconnect")
        await server.close()
        await Marry.waitForPipesDown(client, to: 0)
        #expect(client.statistics.reconnectsScheduled == 0)
        await client.close()
    }

    /// `dial(waitForConnection: false)` before anyone listens keeps trying and connects once a listener
    /// appears; failures are reported as events.
    @Test(arguments: ConformanceTransport.suite)
    func backgroundDialConnectsWhenListenerAppears(over transport: ConformanceTransport) async throws {
        let options = SocketOptions(connector: .init(endpoint: .init(
            minReconnectInterval: .milliseconds(5), maxReconnectInterval: .milliseconds(50))))
        let client = Socket(options: options)
        // tcp, ws, tls+tcp and wss need a known free port: take one from the kernel, then let it go just before
        // listening.
        let address: String
        var reserved: RefusingTCPPort?
        switch transport {
        case .tcp:
            reserved = try RefusingTCPPort()
            address = "tcp://127.0.0.1:\(reserved!.port)"
        case .ws:
            reserved = try RefusingTCPPort()
            address = "ws://127.0.0.1:\(reserved!.port)/bgdial"
        case .tls:
            reserved = try RefusingTCPPort()
            address = "tls+tcp://127.0.0.1:\(reserved!.port)?\(TLSFixtures.query)"
        case .wss:
            reserved = try RefusingTCPPort()
            address = "wss://127.0.0.1:\(reserved!.port)/bgdial?\(TLSFixtures.query)"
        default:
            address = transport.uniqueAddress("bgdial")
        }
        let events = client.events()
        try await client.dial(address, waitForConnection: false)
        try await client.send(Array("early".utf8))
        _ = try await Await.event(events, "a failed dial") { event -> Bool? in
            if case .dialFailed = event { return true }
            return nil
        }
        reserved = nil
        let server = Socket()
        try server.listen(address)
        let message = try await withTimeout(20, "message after background dial") { try await server.receive() }
        #expect(message.content == Array("early".utf8))
        #expect(client.statistics.dialFailures >= 1)
        await client.close()
        await server.close()
    }
}

/// Closing a socket releases its listen address: once `close()` has returned, a new socket can listen on
/// the same address at once and be dialed there.
@Suite(.timeLimit(.minutes(1)))
struct AddressReuseTests {
    /// Listens on `address`, which this process has just released. A child process that another suite is
    /// starting holds a copy of every descriptor of this process between its fork and its exec (close-on-exec
    /// ones included), so the released listener can stay bound for that moment: `addressInUse` is retried for
    /// up to a second, a few milliseconds apart; the library itself must have released the address at once.
    private func listenAgain(_ socket: Socket, _ address: String) async throws {
        for _ in 0..<100 {
            do {
                _ = try socket.listen(address)
                return
            } catch let error as MultiSocketError where error.code == .addressInUse {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        _ = try socket.listen(address)
    }

    @Test(arguments: ConformanceTransport.suite)
    func relistenRightAfterClose(over transport: ConformanceTransport) async throws {
        // A port below the ephemeral range: one from it, released, may be taken by another test's connection.
        var address = try QuietPort.replacingPortZero(in: transport.uniqueAddress("relisten"))
        for round in 0..<30 {
            let first = Socket()
            if round == 0 {
                address = "\(try first.listen(address))"
            } else {
                try await listenAgain(first, address)  // the previous round's listener was just closed
            }
            let second = Socket()
            let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
            do {
                await first.close()
                try await listenAgain(second, address)
                try await client.dial(address)
            } catch {
                Issue.record("round \(round): \(error)")
                await client.close()
                await second.close()
                return
            }
            await client.close()
            await second.close()
        }
    }
}
