@_spi(Internals) import MultiSocketStreams
import MultiSocketTestSupport
import Testing

/// Byte-exact transfer, half-close and many streams on one pipe, over the transport matrix.
@Suite(.timeLimit(.minutes(5)))
struct StreamTransferTests {
    static let sizes = [0, 1, 65_537, 1 << 20]

    /// 8 MiB on the in-process, plain and encrypted byte-stream transports (every transport carries 1 MiB
    /// above; the whole matrix at 8 MiB would load the shared CI machine for little more coverage).
    @Test(arguments: [ConformanceTransport.inproc, .tcp, .tls])
    func eightMebibytes(over transport: ConformanceTransport) async throws {
        try await byteExactBothWays(over: transport, size: 8 << 20)
    }

    /// The client sends `size` random bytes in random pieces and half-closes; the server reads them in random
    /// pieces, echoes them back the same way; both sides compare, and both tables are empty at the end
    /// without any close (each side half-closed both ways).
    @Test(arguments: ConformanceTransport.suite, sizes)
    func byteExactBothWays(over transport: ConformanceTransport, size: Int) async throws {
        let link = try await StreamLink.make(transport, label: "bx")
        let listener = try link.server.listen("echo")
        var random = FastRandom()
        let data = random.bytes(size)
        let seed = random.next()
        try await withTimeout(120, "\(size) bytes both ways over \(transport)") {
            async let served: [UInt8] = {
                let stream = try await listener.accept(timeout: .seconds(30))
                let received = try await readRandomly(stream, seed: seed)
                try await writeRandomly(stream, received, seed: seed &+ 1)
                return received
            }()
            let stream = try await link.client.connect("echo", timeout: .seconds(30))
            async let sent: Void = writeRandomly(stream, data, seed: seed &+ 2)
            let echoed = try await readRandomly(stream, seed: seed &+ 3)
            try await sent
            #expect(sameBytes(try await served, data))
            #expect(sameBytes(echoed, data))
        }
        await link.finish()
    }

    /// After one side half-closes, the other reads to end of stream and still writes back; in both orders.
    @Test(arguments: ConformanceTransport.suite)
    func halfCloseBothWays(over transport: ConformanceTransport) async throws {
        let link = try await StreamLink.make(transport, label: "hc")
        let listener = try link.server.listen("half")
        try await withTimeout(60, "half-closes") {
            // The client half-closes first.
            let client = try await link.client.connect("half", timeout: .seconds(20))
            let server = try await listener.accept(timeout: .seconds(20))
            try await client.write(Array("question".utf8))
            try await client.closeWrite()
            await #expect(throws: StreamError(.connectionClosed)) { try await client.write([1]) }
            #expect(try await server.read(upToCount: 100) == Array("question".utf8))
            #expect(try await server.read(upToCount: 100) == nil)
            try await server.write(Array("answer".utf8))
            try await server.closeWrite()
            #expect(try await client.read(upToCount: 100) == Array("answer".utf8))
            #expect(try await client.read(upToCount: 100) == nil)

            // The server half-closes first.
            let client2 = try await link.client.connect("half", timeout: .seconds(20))
            let server2 = try await listener.accept(timeout: .seconds(20))
            try await server2.write(Array("banner".utf8))
            try await server2.closeWrite()
            var got = [UInt8]()
            for try await chunk in client2.chunks { got += chunk }
            #expect(got == Array("banner".utf8))
            try await client2.write(Array("late".utf8))
            try await client2.closeWrite()
            #expect(try await server2.read(upToCount: 100) == Array("late".utf8))
            #expect(try await server2.read(upToCount: 100) == nil)
        }
        await link.finish()
    }

    /// 100 streams share one pipe; the server never reads one of them. Its writer stalls on its window;
    /// the other 99 finish.
    @Test(arguments: ConformanceTransport.suite)
    func hundredStreamsOneStalled(over transport: ConformanceTransport) async throws {
        let options = StreamOptions(window: 32 * 1024, chunkSize: 8 * 1024, acceptQueue: 128)
        let link = try await StreamLink.make(transport, label: "hs", server: options, client: options)
        let listener = try link.server.listen("many")
        var random = FastRandom(seed: 7)
        let payload = random.bytes(50_000)
        try await withTimeout(120, "99 streams past a stalled one") {
            let stalledClient = try await link.client.connect("many", timeout: .seconds(20))
            let stalledServer = try await listener.accept(timeout: .seconds(20))
            let stalledWriter = Task { try await stalledClient.write(payload) }
            let clients = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<99 {
                        group.addTask {
                            let client = try await link.client.connect("many", timeout: .seconds(30))
                            try await client.write(payload)
                            try await client.closeWrite()
                            #expect(try await client.read(upToCount: 10) == nil)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<99 {
                    let server = try await listener.accept(timeout: .seconds(30))
                    group.addTask {
                        var all = [UInt8]()
                        while try await server.read(into: &all) > 0 {}
                        #expect(sameBytes(all, payload))
                        try await server.closeWrite()
                    }
                }
                try await group.waitForAll()
            }
            try await clients.value
            // The stalled stream's writer is still waiting for credit: its peer read nothing.
            #expect(link.server.tableCounts.streams == 1)
            stalledServer.closeRead()
            try await stalledWriter.value
            try await stalledClient.closeWrite()
            try await stalledServer.closeWrite()
            #expect(try await stalledClient.read(upToCount: 10) == nil)
        }
        await link.finish()
    }
}
