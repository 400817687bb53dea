import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Bad input on the SP wire, from a plain client that writes bytes by hand: each is refused with a typed,
/// counted reason, nothing is allocated for a size the peer claims, and the socket keeps serving a proper
/// requester meanwhile.
@Suite(.timeLimit(.minutes(1)))
struct SPHostileTests {
    static let signature: [UInt8] = [0x00, 0x53, 0x50, 0x00]

    /// The SP header announcing `number`.
    static func header(_ number: UInt16) -> [UInt8] {
        signature + [UInt8(number >> 8), UInt8(number & 0xFF), 0, 0]
    }

    /// A 64-bit big-endian length.
    static func length(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// A Rep on `wire` that answers every request, and a Req of ours connected to it.
    static func servedRep(_ wire: SPWire = .tcp) async throws -> (Rep, Address, Req, Task<Void, any Error>) {
        let rep = Rep()
        let bound = try rep.listen(wire.ourListenAddress)
        let serving = Task { try await rep.serve(workers: 2) { bytes("re:") + $0.body } }
        let req = Req()
        try await req.dial(bound)
        return (rep, bound, req, serving)
    }

    /// The Rep still answers our own requester.
    static func expectStillServing(_ req: Req) async throws {
        let reply = try await withTimeout(10, "a reply") { try await req.request(bytes("ping"), timeout: .seconds(8)) }
        #expect(text(reply) == "re:ping")
    }

    /// The next frame rejection the socket reports.
    static func nextRejection(_ events: AsyncStream<SocketEvent>) async throws -> FrameError? {
        try await withTimeout(10, "a rejected frame") {
            for await event in events { if case .frameRejected(_, let reason) = event { return reason } }
            return nil
        }
    }

    /// Our side sends its header first (REP, 0x31); a header that is not an SP header closes the connection
    /// without making a pipe.
    @Test func malformedHeaderIsRefused() async throws {
        let (rep, bound, req, serving) = try await Self.servedRep()
        let client = try PlainClient(bound)
        #expect(await client.read(count: 8) == Self.header(0x31))
        try client.write(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(await client.readUntilClosed().isClosed)
        #expect(rep.statistics.pipesAdded == 1)  // our requester's only
        try await Self.expectStillServing(req)
        client.close()
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// A peer announcing PUB (0x20) to a REP is refused with a counted reason, and its connection closed.
    @Test func incompatibleProtocolIsRefusedAndCounted() async throws {
        let (rep, bound, req, serving) = try await Self.servedRep()
        let events = rep.events()
        let client = try PlainClient(bound)
        try client.write(Self.header(0x20))
        let reason = try await withTimeout(10, "a refused pipe") { () -> String? in
            for await event in events { if case .pipeRefused(_, let reason) = event { return reason } }
            return nil
        }
        #expect(reason?.contains("0x20") == true, "\(reason ?? "")")
        #expect(rep.statistics.pipesRefused == 1)
        #expect(await client.readUntilClosed().isClosed)
        try await Self.expectStillServing(req)
        client.close()
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// Our Req dialing a PUB on the SP wire throws `protocolMismatch` from the synchronous dial.
    @Test func dialToIncompatiblePeerThrowsProtocolMismatch() async throws {
        let pub = Pub()
        let bound = try pub.listen("sp+tcp://127.0.0.1:0")
        let req = Req()
        let error = await #expect(throws: MultiSocketError.self) { try await req.dial(bound) }
        #expect(error?.code == .protocolMismatch, "\(String(describing: error))")
        await req.close()
        await pub.close()
    }

    /// Over sp+ws the subprotocol carries the check: a Req dialing a Pub's sp+ws listener is refused with HTTP
    /// 400 (the Req asks for its peer's `rep.sp.nanomsg.org`, the Pub accepts only `pub.sp.nanomsg.org`) and
    /// throws `protocolMismatch`; a Rep listening there takes the Req.
    @Test func webSocketSubprotocolNamesTheProtocol() async throws {
        let pub = Pub()
        let wrong = try pub.listen("sp+ws://127.0.0.1:0/feed")
        let req = Req()
        let error = await #expect(throws: MultiSocketError.self) { try await req.dial(wrong) }
        #expect(error?.code == .protocolMismatch, "\(String(describing: error))")
        let rep = Rep()
        let right = try rep.listen("sp+ws://127.0.0.1:0/rpc")
        let serving = Task { try await rep.serve { bytes("re:") + $0.body } }
        try await req.dial(right)
        try await Self.expectStillServing(req)
        serving.cancel()
        await req.close()
        await rep.close()
        await pub.close()
    }

    /// A plain socket names no SP protocol: dialing or listening on any sp+ scheme is `badAddress`.
    @Test(arguments: ["sp+tcp://127.0.0.1:0", "sp+ws://127.0.0.1:0/x", "sp+ipc:///tmp/ms-sp-plain"])
    func plainSocketWithoutProtocolIsRefused(_ address: String) async throws {
        let plain = Socket()
        let error = #expect(throws: MultiSocketError.self) { try plain.listen(address) }
        #expect(error?.code == .badAddress)
        let dialError = await #expect(throws: MultiSocketError.self) { try await plain.dial(address) }
        #expect(dialError?.code == .badAddress)
        await plain.close()
    }

    /// A 64-bit length far above the receive limit closes the pipe from the header alone (2⁶² bytes could
    /// never be allocated: reaching the rejection proves nothing was).
    @Test(arguments: [UInt64(1) << 62, UInt64.max, UInt64(128 * 1024 + 4 * 16 + 1)])
    func oversizeLengthIsRejectedBeforeAllocation(_ claimed: UInt64) async throws {
        let (rep, bound, req, serving) = try await Self.servedRep()
        let events = rep.events()
        let client = try PlainClient(bound)
        try client.write(Self.header(0x30) + Self.length(claimed) + [0x80, 0, 0, 1])
        let reason = try await Self.nextRejection(events)
        guard case .tooLarge = reason else {
            Issue.record("rejected for \(String(describing: reason))")
            return
        }
        #expect(await client.readUntilClosed().isClosed)
        try await Self.expectStillServing(req)
        client.close()
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// A request whose backtrace has no word with the high bit set (no request id at the bottom) is
    /// rejected with ``SPViolation/missingRequestID``; the Rep answers others.
    @Test(arguments: [[UInt8](), [0, 0, 0, 7], [0, 0, 0, 7, 0, 0, 0, 9, 0x41]])
    func requestWithoutIDIsRejected(_ body: [UInt8]) async throws {
        let (rep, bound, req, serving) = try await Self.servedRep()
        let events = rep.events()
        let client = try PlainClient(bound)
        try client.write(Self.header(0x30) + Self.length(UInt64(body.count)) + body)
        #expect(try await Self.nextRejection(events) == .scalabilityProtocols(.missingRequestID))
        #expect(await client.readUntilClosed().isClosed)
        try await Self.expectStillServing(req)
        client.close()
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// A backtrace of more hops than a message may take is dropped as an expired ttl; the pipe stays and the
    /// next request on it is answered.
    @Test func overlongBacktraceIsDroppedAsExpired() async throws {
        let (rep, bound, req, serving) = try await Self.servedRep()
        let client = try PlainClient(bound)
        #expect(await client.read(count: 8) == Self.header(0x31))
        let hops: [UInt8] = (1...16).flatMap { hop -> [UInt8] in [0, 0, 0, UInt8(hop)] }
        let id: [UInt8] = [0x80, 0, 0, 5]
        var bad: [UInt8] = Self.header(0x30)
        bad += Self.length(UInt64(hops.count + 5))
        bad += hops + id + [0x41]
        try client.write(bad)
        try client.write(Self.length(5) + id + [0x42])
        let expected: [UInt8] = Self.length(8) + id + Array("re:B".utf8)
        #expect(await client.read(count: expected.count) == expected)
        #expect(rep.statistics.drops[.ttlExpired] == 1)
        try await Self.expectStillServing(req)
        client.close()
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// An sp+ipc message whose type byte is not 1 is rejected with ``SPViolation/unknownMessageType(_:)``.
    @Test func ipcMessageOfUnknownTypeIsRejected() async throws {
        let (rep, bound, req, serving) = try await Self.servedRep(.ipc)
        let events = rep.events()
        let client = try PlainClient(path: bound.path)
        try client.write(Self.header(0x30) + [2] + Self.length(4) + [0x80, 0, 0, 1])
        #expect(try await Self.nextRejection(events) == .scalabilityProtocols(.unknownMessageType(2)))
        try await Self.expectStillServing(req)
        client.close()
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// Closing the listener ends the header exchanges under way: a peer that never sent its header is
    /// disconnected at once, not after the exchange's 10 s timeout.
    @Test func closingTheListenerEndsPendingExchanges() async throws {
        let rep = Rep()
        let bound = try rep.listen("sp+tcp://127.0.0.1:0")
        let client = try PlainClient(bound)
        #expect(await client.read(count: 8) == Self.header(0x31))
        await rep.socket.connector.stopListening("\(bound)")
        let end = try await withTimeout(5, "the connection to close") { await client.readUntilClosed() }
        #expect(end.isClosed)
        #expect(rep.statistics.pipesAdded == 0)
        client.close()
        await rep.close()
    }

    /// A peer that sends half a header and then nothing is not a pipe; the listener keeps accepting.
    @Test func partialHeaderMakesNoPipe() async throws {
        let (rep, bound, req, serving) = try await Self.servedRep()
        let client = try PlainClient(bound)
        try client.write(Array(Self.header(0x30).prefix(5)))
        try await Self.expectStillServing(req)
        #expect(rep.statistics.pipesAdded == 1)
        client.close()
        serving.cancel()
        await req.close()
        await rep.close()
    }
}
