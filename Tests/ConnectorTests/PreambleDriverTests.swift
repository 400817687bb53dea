import Glibc
@_spi(Internals) @testable import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// ``PreambleDriver``: the one place handshakes run before framing. A two-sided fixed-header exchange (the
/// shape of the SP header), leftover bytes reaching the framing, refusal, the peer leaving, the deadline;
/// and a link over a stream that holds read bytes and takes writes piecemeal, as TLS will.
@Suite(.timeLimit(.minutes(1)))
struct PreambleDriverTests {
    private typealias Outcome = Result<(outcome: [UInt8], leftover: [UInt8]), MultiSocketError>

    /// Runs `preamble` over `stream` on the test reactor and returns how it completed.
    private func run(_ preamble: FixedHeaderPreamble, over stream: any ByteStream) async -> Outcome {
        await withCheckedContinuation { continuation in
            let driver = PreambleDriver(preamble: preamble, stream: stream, reactor: streamTestReactor) { result in
                continuation.resume(returning: result)
            }
            streamTestReactor.execute { driver.start() }
        }
    }

    @Test func bothSidesExchangeFixedHeaders() async throws {
        let (a, b) = try socketPair()
        let requester = FixedHeaderPreamble(protocolID: 0x30, expectedPeer: 0x31)
        let replier = FixedHeaderPreamble(protocolID: 0x31, expectedPeer: 0x30)
        async let left = run(requester, over: SocketStream(descriptor: a))
        async let right = run(replier, over: SocketStream(descriptor: b))
        let (l, r) = await (left, right)
        let leftDone = try l.get()
        let rightDone = try r.get()
        #expect(leftDone.outcome == FixedHeaderPreamble.header(0x31) && leftDone.leftover.isEmpty)
        #expect(rightDone.outcome == FixedHeaderPreamble.header(0x30) && rightDone.leftover.isEmpty)
        close(a)
        close(b)
    }

    /// Bytes that arrive with the peer's header are the framing's: the link made after the preamble
    /// decodes them, then what follows on the stream.
    @Test func leftoverBytesGoToTheFraming() async throws {
        let (peer, b) = try socketPair()
        defer { close(peer) }
        let first = try frame(Message(content: [1, 2, 3]))
        let second = try frame(Message(content: Array(repeating: 9, count: 100)))
        // The peer's header, the first frame and half the second in one write.
        try writeAll(peer, FixedHeaderPreamble.header(0x30) + first + second[..<50])
        let stream = SocketStream(descriptor: b)
        let done = try await run(FixedHeaderPreamble(protocolID: 0x31, expectedPeer: 0x30), over: stream).get()
        #expect(done.leftover == first + second[..<50])
        #expect(await readExactly(peer, 8) == FixedHeaderPreamble.header(0x31))

        let link = StreamLink(stream: stream, reactor: streamTestReactor, options: streamTestOptions,
                              framing: MultiSocketFraming(options: streamTestOptions), localAddress: "test://b",
                              remoteAddress: "test://peer", alreadyRead: done.leftover)
        let collector = LinkEventCollector()
        link.start(pipeID: 7, delegate: collector, onClose: collector.onClose)
        try writeAll(peer, Array(second[50...]))
        let contents = try await withTimeout(10, "two messages") { await collector.contents(2) }
        #expect(contents == [[1, 2, 3], Array(repeating: 9, count: 100)])
        link.close()
    }

    /// A wrong header is refused: the refusal's reply reaches the peer, then the end of our writing, and the
    /// stream closes as soon as the peer closes (well before the linger time).
    @Test func aRefusalIsWrittenThenTheStreamCloses() async throws {
        let (peer, b) = try socketPair()
        try writeAll(peer, FixedHeaderPreamble.header(0x99))
        var preamble = FixedHeaderPreamble(protocolID: 0x31, expectedPeer: 0x30)
        preamble.refusalReply = Array("NO".utf8)
        preamble.refusalLinger = .seconds(60)
        let stream = SocketStream(descriptor: b)
        let outcome = Task { await run(preamble, over: stream) }
        #expect(await readExactly(peer, 10) == FixedHeaderPreamble.header(0x31) + Array("NO".utf8))
        #expect(await readsEnd(peer))
        close(peer)
        let result = try await withTimeout(10, "the refusal to end") { await outcome.value }
        #expect(throws: MultiSocketError.self) { try result.get() }
        if case .failure(let error) = result { #expect(error.code == .protocolMismatch) }
    }

    @Test func aPeerThatLeavesFailsThePreamble() async throws {
        let (peer, b) = try socketPair()
        close(peer)
        let result = await run(FixedHeaderPreamble(protocolID: 0x31, expectedPeer: 0x30), over: SocketStream(descriptor: b))
        guard case .failure(let error) = result else {
            Issue.record("the preamble completed")
            return
        }
        #expect(error.code == .connectionRefused)
    }

    /// A silent peer: the preamble fails at its deadline, and the stream is closed.
    @Test func theDeadlineFailsASilentPeer() async throws {
        let (peer, b) = try socketPair()
        defer { close(peer) }
        var preamble = FixedHeaderPreamble(protocolID: 0x31, expectedPeer: 0x30)
        preamble.timeout = .milliseconds(200)
        let started = ContinuousClock.now
        let result = await run(preamble, over: SocketStream(descriptor: b))
        guard case .failure(let error) = result else {
            Issue.record("the preamble completed")
            return
        }
        #expect(error.code == .timedOut)
        #expect(ContinuousClock.now - started >= .milliseconds(150))
        #expect(await readExactly(peer, 8) == FixedHeaderPreamble.header(0x31))
        #expect(await readsEnd(peer))
    }

    /// A link over a stream that holds bytes it read ahead (no readiness event comes for them) and takes 5
    /// bytes per write: every frame of one burst is delivered, and a sent message goes out whole.
    @Test func aLinkOverAStreamThatHoldsBytesAndWritesPiecemeal() async throws {
        let (peer, b) = try socketPair()
        defer { close(peer) }
        let link = StreamLink(stream: HoldingStream(descriptor: b, readSize: 7, writeSize: 5), reactor: streamTestReactor,
                              options: streamTestOptions, framing: MultiSocketFraming(options: streamTestOptions),
                              localAddress: "test://b", remoteAddress: "test://peer")
        let collector = LinkEventCollector()
        link.start(pipeID: 3, delegate: collector, onClose: collector.onClose)
        // Once the link has started (its jobs run in order), the burst arrives as one readiness event.
        await withCheckedContinuation { continuation in link.footprint { _, _ in continuation.resume() } }
        let messages = (0..<5).map { Message(content: Array(repeating: UInt8($0), count: 10 + $0)) }
        try writeAll(peer, messages.map(frame).flatMap { $0 })
        let contents = try await withTimeout(10, "five messages") { await collector.contents(5) }
        #expect(contents == messages.map(\.content))

        let reply = Message(content: Array(0..<200))
        guard case .accepted = link.send(reply) else {
            Issue.record("the link did not take the message")
            return
        }
        let expected = try frame(reply)
        #expect(await readExactly(peer, expected.count) == expected)
        link.close()
    }
}
