import MultiSocket
import MultiSocketTestSupport
import Testing

/// WebSocket peers that misbehave within the protocol: a ping flood whose pongs are never read, a
/// fragmented message that never ends.
@Suite(.timeLimit(.minutes(2)))
struct WebSocketHostileTests {
    /// A client floods pings as fast as a non-blocking socket goes and never reads the pongs. The server
    /// stops reading from it once its pongs back up (it used to queue them without bound, copying the whole
    /// backlog for each one: memory and an I/O thread at 100 %), so the flood stalls, the pipe's output stays
    /// bounded, and another client is served promptly all along.
    @Test func pingFloodThatNeverReadsIsBounded() async throws {
        let server = Socket()
        let address = try server.listen(ConformanceTransport.ws.uniqueAddress("pingflood"))
        let echo = Task {
            for try await message in server.messages { try? await server.sendTo(message.source, message.content) }
        }
        let events = server.events()
        let hostile = try PlainClient(address)
        try await WS.handshake(hostile, path: address.path)
        let hostilePipe = try await Await.event(events, "the flooder's pipe") { event -> MessagePipe? in
            if case .pipeAdded(let pipe) = event { return pipe }
            return nil
        }
        let ping = WS.frame(0x9, [UInt8](repeating: 0x70, count: 125))
        let flood = repeated(ping, count: 160 * 1024)
        let flooding = Task { await hostile.flood(flood, stall: 500) }

        let client = Socket()
        try await client.dial("\(address)")
        for round in 0..<50 {
            try await client.send(bigEndianBytes(UInt32(round)))
            // Prompt means seconds, not never; a sanitizer makes every step several times slower.
            let limit: Double = runningUnderSanitizer ? 20 : 5
            let reply = try await withTimeout(limit, "echo \(round) during the flood") { try await client.receive() }
            #expect(reply.content == bigEndianBytes(UInt32(round)))
        }
        let (written, end) = await flooding.value
        #expect(end == .stalled, "the server kept reading pings it could not answer (\(written) bytes)")
        #expect(server.connector.pipe(hostilePipe.id) != nil,
                "the flooder's pipe was closed: \(server.statistics) after \(written) bytes, \(end)")
        let output = await hostilePipe.footprint().output
        #expect(output <= 256 * 1024, "\(output) bytes of pongs queued")
        echo.cancel()
        hostile.close()
        await client.close()
        await server.close()
    }

    /// A client that pings steadily, in writes that split its frames, and reads its pongs is not stalling:
    /// each whole control frame restarts the partial-frame clock. (A link counted from the first split ping
    /// and closed a healthy pinging peer once the timeout passed.) The pings go on for four times the timeout,
    /// and the link must survive whenever the writer never paused for most of the timeout.
    @Test func steadyPingsSplitAcrossReadsAreNotAStall() async throws {
        let server = Socket(options: SocketOptions(connector: .init(endpoint: .init(
            partialFrameTimeout: .milliseconds(500)))))
        let address = try server.listen(ConformanceTransport.ws.uniqueAddress("steadyping"))
        let events = server.events()
        let client = try PlainClient(address)
        try await WS.handshake(client, path: address.path)
        let pipe = try await Await.event(events, "the pinging client's pipe") { event -> MessagePipe? in
            if case .pipeAdded(let pipe) = event { return pipe }
            return nil
        }
        let reading = Task { await client.readUntilClosed() }
        let clock = ContinuousClock()
        let start = clock.now
        let ping = WS.frame(0x9, [UInt8](repeating: 0x71, count: 100))
        // Every write ends in the middle of a ping, so no read the server makes ends between two frames.
        let half = ping.count / 2
        try client.write(Array(ping[..<half]))
        let shifted = Array(ping[half...]) + Array(ping[..<half])
        let burst = repeated(shifted, count: 100)
        // The writer is a task on a shared pool: on a loaded machine it can itself pause for longer than the
        // timeout, and then closing the link is right. The longest pause is measured so that only a link
        // closed while the pings really were steady fails the test.
        var longestPause = Duration.zero
        var last = clock.now
        while clock.now - start < .seconds(2) {
            let (_, end) = await client.flood(burst, segment: ping.count, stall: 2000)
            longestPause = max(longestPause, clock.now - last)
            last = clock.now
            if end != .complete { break }
        }
        if longestPause < .milliseconds(400) {
            #expect(server.connector.pipe(pipe.id) != nil, "a steadily pinging client was closed")
            #expect(server.statistics.rejectedFrames == 0)
        } else {
            print("steadyPings: the writer paused \(longestPause); the link may rightly have been closed")
        }
        client.close()
        _ = await reading.value
        await server.close()
    }

    /// A client that sends the first fragment of a message and nothing more is closed after the
    /// partial-frame timeout, with a close frame saying why.
    @Test func fragmentedMessageThatNeverEndsIsClosed() async throws {
        let server = Socket(options: SocketOptions(connector: .init(endpoint: .init(
            partialFrameTimeout: .milliseconds(300)))))
        let address = try server.listen(ConformanceTransport.ws.uniqueAddress("fragstall"))
        let events = server.events()
        let hostile = try PlainClient(address)
        try await WS.handshake(hostile, path: address.path)
        try hostile.write(WS.frame(0x2, Array(WS.inner([1, 2, 3, 4]).prefix(6)), final: false))
        let reason = try await Await.event(events, "the unfinished message rejected",
                                           timeout: 10) { event -> FrameError? in
            if case .frameRejected(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == .stalled(buffered: 0))
        let close = await WS.readFrame(hostile)
        #expect(close.opcode == 0x8)
        #expect(await hostile.readUntilClosed().isClosed)
        hostile.close()
        await server.close()
    }
}
