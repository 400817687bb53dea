import MultiSocket
import MultiSocketTestSupport
import Testing

/// Malformed frames from a plain TCP client (DESIGN §3, §9 faults): each closes only its pipe, is counted
/// and reported, and the socket keeps serving.
@Suite(.timeLimit(.minutes(1)))
struct MalformedInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var bytes: [UInt8]
        var expected: FrameError
        var description: String { name }
    }

    static let limit = 128 * 1024

    static let cases: [Case] = [
        Case(name: "garbage (HTTP request)", bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
             expected: .invalidSendType),
        Case(name: "hops 255", bytes: [0x00, 16, 255, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 64),
             expected: .hopsOverflow),
        Case(name: "to-dest with distance 0", bytes: [0x02, 16, 0, 0, 0, 0, 0, 1, 0x41],
             expected: .missingDestination),
        Case(name: "send type 3", bytes: [0x03, 16, 0, 0, 0, 0, 0, 1, 0x41], expected: .invalidSendType),
        Case(name: "length over the limit", bytes: [0x00, 16, 0, 0] + bigEndianBytes(UInt32(limit + 1)),
             expected: .tooLarge(length: limit + 1, limit: limit)),
        Case(name: "length 4 GiB", bytes: [0x00, 16, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF],
             expected: .tooLarge(length: 0xFFFF_FFFF, limit: limit)),
        // A well-formed frame first, then garbage: the good one is delivered, then the pipe closes.
        Case(name: "valid frame then garbage", bytes: [0x00, 16, 0, 0, 0, 0, 0, 2, 0x6F, 0x6B] + [UInt8](repeating: 0xFF, count: 8),
             expected: .invalidSendType),
    ]

    @Test(arguments: MalformedInputTests.cases)
    func malformedFrameClosesOnlyItsPipe(_ input: Case) async throws {
        let server = Socket(options: SocketOptions(connector: .init(endpoint: .init(maxReceiveSize: Self.limit))))
        let bound = try server.listen("tcp://127.0.0.1:0")
        let events = server.events()

        let raw = try PlainClient(port: try #require(port(of: bound)))
        defer { raw.close() }
        try raw.write(input.bytes)
        let reason = try await Await.event(events, "frameRejected for \(input.name)") { event -> FrameError? in
            if case .frameRejected(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == input.expected)
        let end = await raw.readUntilClosed()
        #expect(end.isClosed, "the server should close the connection, got \(end)")
        await Marry.waitForPipesDown(server, to: 0)
        #expect(server.statistics.rejectedFrames == 1)
        #expect(server.statistics.pipesRemoved == 1)
        if input.name.hasPrefix("valid") {
            #expect(try await server.receive().content == Array("ok".utf8))
        }

        try await expectStillServes(server, at: "\(bound)")
        await server.close()
    }

    /// A peer that disconnects in the middle of a frame: `.truncated`, no crash, still serving.
    @Test(arguments: [3, 8, 20, 8 + 100 - 1])
    func peerDisconnectsMidFrame(after count: Int) async throws {
        let server = Socket()
        let bound = try server.listen("tcp://127.0.0.1:0")
        let events = server.events()
        let frame: [UInt8] = [0x00, 16, 0, 0, 0, 0, 0, 100] + [UInt8](repeating: 7, count: 100)
        let raw = try PlainClient(port: try #require(port(of: bound)))
        await Marry.waitForPipes(server, count: 1)
        try raw.write(Array(frame.prefix(count)))
        raw.close()
        let reason = try await Await.event(events, "truncated rejection") { event -> FrameError? in
            if case .frameRejected(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == .truncated(buffered: count))
        await Marry.waitForPipesDown(server, to: 0)
        #expect(server.statistics.rejectedFrames == 1)
        #expect(server.statistics.messagesReceived == 0)
        try await expectStillServes(server, at: "\(bound)")
        await server.close()
    }

    /// A hand-encoded valid frame from a plain client is delivered with the receive rule applied, and the
    /// reply comes back as a byte-exact frame.
    @Test func plainClientSpeaksTheWireFormat() async throws {
        let server = Socket()
        let bound = try server.listen("tcp://127.0.0.1:0")
        let raw = try PlainClient(port: try #require(port(of: bound)))
        defer { raw.close() }
        // to-one, ttl 9, one source id (0x00000005), content "hi"
        try raw.write([0x00, 9, 1, 0, 0, 0, 0, 2, 0, 0, 0, 5, 0x68, 0x69])
        let message = try await server.receive()
        #expect(message.content == Array("hi".utf8))
        #expect(message.ttl == 8)
        #expect(message.hops == 2)
        #expect(message.source.ids.last == 5)
        let pipeID = try #require(message.pipeID)
        try await server.sendTo(message.source, Array("yo".utf8))
        // The reply goes out with the whole path (the receiver strips the first id): to-dest, ttl 16,
        // hops 0, distance 2 ([server's pipe id, 5]), length 2, "yo".
        let expected: [UInt8] = [0x02, 16, 0, 2, 0, 0, 0, 2] + bigEndianBytes(pipeID) + [0, 0, 0, 5] + Array("yo".utf8)
        #expect(await raw.read(count: expected.count) == expected)
        await server.close()
        #expect(await raw.readUntilClosed() == .closed(bytes: 0))
    }

    private func expectStillServes(_ server: Socket, at address: String) async throws {
        let client = Socket()
        try await Marry.connect(client, to: server, at: address)
        try await client.send(Array("fine".utf8))
        let message = try await withTimeout(10, "a normal message after the bad one") { try await server.receive() }
        #expect(message.content == Array("fine".utf8))
        await client.close()
    }
}
