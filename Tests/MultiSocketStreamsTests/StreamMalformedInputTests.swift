@_spi(Internals) import MultiSocketStreams
import MultiSocketTestSupport
import Testing

/// A hand-written peer (a plain socket writing frames) sends what a correct endpoint never would: each
/// malformed input is a counted drop, a refusal or a reset of that one stream — never a crash or a hang.
@Suite(.timeLimit(.minutes(2)))
struct StreamMalformedInputTests {
    static func frame(_ kind: UInt8, _ destination: UInt32, _ source: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        [kind] + bigEndianBytes(destination) + bigEndianBytes(source) + payload
    }

    /// An endpoint on `server` and a raw message peer dialed to it.
    static func setUp(_ options: StreamOptions = .init()) async throws -> (StreamEndpoint, Socket, Socket) {
        let server = Socket()
        let address = try server.listen(ConformanceTransport.inproc.uniqueAddress("bad"))
        let peer = Socket()
        try await peer.dial("\(address)")
        try await peer.waitForPeers(1, timeout: .seconds(20))
        return (StreamEndpoint(socket: server, options: options), server, peer)
    }

    @Test func garbageIsCountedAndAnswered() async throws {
        let (endpoint, server, peer) = try await Self.setUp()
        _ = try endpoint.listen("l")
        try await withTimeout(30, "malformed frames") {
            try await peer.send([])
            try await peer.send([4, 0, 0])
            try await peer.send(Self.frame(0xEE, 1, 1))
            // A connect with window 0, and one with a name past 1024 bytes: refused as malformed.
            try await peer.send(Self.frame(1, 0, 5, bigEndianBytes(0) + Array("l".utf8)))
            let refusal = try await peer.receive(timeout: .seconds(10))
            #expect(refusal.content == Self.frame(3, 5, 0, [4]))
            try await peer.send(Self.frame(1, 0, 6, bigEndianBytes(100) + [UInt8](repeating: 65, count: 1500)))
            #expect(try await peer.receive(timeout: .seconds(10)).content == Self.frame(3, 6, 0, [4]))
            // Data and credit for a stream that does not exist: the sender is told the stream is gone.
            try await peer.send(Self.frame(4, 999, 7, [1, 2, 3]))
            #expect(try await peer.receive(timeout: .seconds(10)).content == Self.frame(7, 7, 999, [1]))
            // A close for an unknown stream is not answered (no close loops); an accept for none gets a close.
            try await peer.send(Self.frame(7, 998, 8, [0]))
            try await peer.send(Self.frame(2, 997, 9, bigEndianBytes(100)))
            #expect(try await peer.receive(timeout: .seconds(10)).content == Self.frame(7, 9, 997, [1]))
            let drops = endpoint.dropCounts
            #expect(drops.malformed == 5)
            #expect(drops.unknownStream == 2)
            #expect(endpoint.tableCounts == (0, 0, 0))
        }
        await endpoint.close()
        await peer.close()
        await server.close()
    }

    /// A peer that writes past the window it was given resets that stream only.
    @Test func writingPastTheWindowResetsTheStream() async throws {
        let (endpoint, server, peer) = try await Self.setUp(StreamOptions(window: 1000))
        let listener = try endpoint.listen("w")
        try await withTimeout(30, "window violation") {
            try await peer.send(Self.frame(1, 0, 42, bigEndianBytes(1 << 20) + Array("w".utf8)))
            let accept = try await peer.receive(timeout: .seconds(10))
            #expect(accept.content.first == 2)
            let id = stamp(of: Array(accept.content[5..<9]))!
            #expect(accept.content[1..<5] == [0, 0, 0, 42])
            #expect(accept.content[9...] == ArraySlice(bigEndianBytes(1000)))
            let stream = try await listener.accept(timeout: .seconds(10))
            // A frame claiming another source id is ignored.
            try await peer.sendTo(accept.source, Self.frame(4, id, 41, [1]))
            try await peer.sendTo(accept.source, Self.frame(4, id, 42, [UInt8](repeating: 1, count: 600)))
            #expect(try await stream.read(upToCount: 600)?.count == 600)
            // Reading 600 bytes (at least a quarter of the window) credits them back: the peer may now have
            // 1000 bytes outstanding, and 1001 is a violation.
            let credit = try await peer.receive(timeout: .seconds(10))
            #expect(credit.content == Self.frame(5, 42, id, bigEndianBytes(600)))
            try await peer.sendTo(accept.source, Self.frame(4, id, 42, [UInt8](repeating: 2, count: 1001)))
            #expect(try await peer.receive(timeout: .seconds(10)).content == Self.frame(7, 42, id, [2]))
            await #expect(throws: StreamError(.connectionReset)) { try await stream.read(upToCount: 1) }
            #expect(endpoint.dropCounts.violations == 1)
            #expect(endpoint.tableCounts == (0, 0, 0))
            // A huge credit does not overflow.
            try await peer.sendTo(accept.source, Self.frame(5, id, 42, bigEndianBytes(.max)))
        }
        await endpoint.close()
        await peer.close()
        await server.close()
    }
}
