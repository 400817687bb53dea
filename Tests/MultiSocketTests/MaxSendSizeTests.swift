import MultiSocket
import MultiSocketTestSupport
import Testing

/// `maxSendSize` (issue 17 item 5): a send larger than the limit — by default the endpoint's own
/// `maxReceiveSize` — fails at the sender with `messageTooLarge` and keeps the pipe, where without a limit the
/// peer closes the pipe on the oversize frame and the sender learns nothing.
@Suite(.timeLimit(.minutes(1)))
struct MaxSendSizeTests {
    static let limit = 64 * 1024

    @Test(arguments: [ConformanceTransport.inproc, .tcp, .ws])
    func oversizeSendFailsAtTheSenderAndKeepsThePipe(over transport: ConformanceTransport) async throws {
        let endpoint = EndpointOptions(maxReceiveSize: Self.limit)
        let server = Socket(options: SocketOptions(connector: .init(endpoint: endpoint)))
        let client = Socket(options: SocketOptions(connector: .init(endpoint: endpoint)))
        try await Marry.connect(client, to: server, over: transport, label: "maxsend")
        let error = await thrownBy { try await client.send([UInt8](repeating: 1, count: Self.limit + 1)) }
        #expect((error as? MultiSocketError)?.code == .messageTooLarge)
        #expect(client.statistics.drops[.unencodable] == 1)
        // Exactly the limit still goes, on the same pipe.
        try await client.send([UInt8](repeating: 2, count: Self.limit))
        let received = try await withTimeout(20, "the message at the limit") { try await server.receive() }
        #expect(received.content.count == Self.limit)
        #expect(client.statistics.pipesRemoved == 0)
        #expect(server.statistics.pipesRemoved == 0)
        #expect(server.statistics.rejectedFrames == 0)
        await client.close()
        await server.close()
    }

    /// The behaviour before `maxSendSize`, still what a sender without a limit gets: the send "succeeds", the
    /// receiver rejects the frame and drops the pipe.
    @Test(arguments: [ConformanceTransport.tcp, .ws])
    func withoutASendLimitThePeerDropsThePipe(over transport: ConformanceTransport) async throws {
        let server = Socket(options: SocketOptions(connector: .init(endpoint: .init(maxReceiveSize: Self.limit))))
        var unlimited = EndpointOptions(reconnect: false, maxReceiveSize: Self.limit)
        unlimited.maxSendSize = nil
        let client = Socket(options: SocketOptions(linger: .milliseconds(50), connector: .init(endpoint: unlimited)))
        try await Marry.connect(client, to: server, over: transport, label: "maxsend-none")
        let events = server.events()
        try await client.send([UInt8](repeating: 1, count: Self.limit + 1))
        _ = try await Await.event(events, "frameRejected") { event -> Bool? in
            if case .frameRejected = event { return true }
            return nil
        }
        await Marry.waitForPipesDown(server, to: 0)
        #expect(client.statistics.drops[.unencodable, default: 0] == 0)
        await client.close()
        await server.close()
    }

    @Test func maxSendSizeFollowsMaxReceiveSizeUntilSet() throws {
        var options = EndpointOptions()
        #expect(options.maxSendSize == 128 * 1024)
        options.maxReceiveSize = 1 << 20
        #expect(options.maxSendSize == 1 << 20)
        options.maxReceiveSize = nil
        #expect(options.maxSendSize == nil)
        options.maxSendSize = 1000
        options.maxReceiveSize = 5
        #expect(options.maxSendSize == 1000)
        options.maxSendSize = nil
        #expect(options.maxSendSize == nil)
        #expect(options.maxReceiveSize == 5)

        let fromQuery = try EndpointOptions().applying([Address.QueryItem(name: "maxSendSize", value: "2048")])
        #expect(fromQuery.maxSendSize == 2048)
        #expect(fromQuery.maxReceiveSize == 128 * 1024)
        let none = try EndpointOptions().applying([Address.QueryItem(name: "maxsendsize", value: "none")])
        #expect(none.maxSendSize == nil)
        #expect(throws: MultiSocketError.self) {
            try EndpointOptions().applying([Address.QueryItem(name: "maxSendSize", value: "-1")])
        }
    }

    /// The address's query sets it per endpoint: a dialer with a small send limit refuses what its socket's
    /// options would allow.
    @Test func queryLimitAppliesToTheDialedPipe() async throws {
        let server = Socket(), client = Socket()
        let address = try server.listen("tcp://127.0.0.1:0")
        try await Marry.connect(client, to: server, at: "\(address)?maxSendSize=100")
        let error = await thrownBy { try await client.send([UInt8](repeating: 0, count: 101)) }
        #expect((error as? MultiSocketError)?.code == .messageTooLarge)
        try await client.send([UInt8](repeating: 0, count: 100))
        #expect(try await withTimeout(20, "100 bytes") { try await server.receive() }.content.count == 100)
        await client.close()
        await server.close()
    }

    private func thrownBy(_ body: () async throws -> Void) async -> (any Error)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}
