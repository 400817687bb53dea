@_spi(Internals) import MultiSocketStreams
import MultiSocketTestSupport
import Testing

/// Typed errors: refused, address in use, accept timeout, listen queue full, connect timeout, read and write
/// deadlines, closed and reset; each says whether it is temporary.
@Suite(.timeLimit(.minutes(3)))
struct StreamErrorTests {
    @Test(arguments: [ConformanceTransport.inproc, .tcp, .ws])
    func refusedWithoutListener(over transport: ConformanceTransport) async throws {
        let link = try await StreamLink.make(transport, label: "rf")
        let error = await #expect(throws: StreamError(.connectionRefused)) {
            try await withTimeout(20, "refusal") { try await link.client.connect("nobody", timeout: .seconds(15)) }
        }
        #expect(error?.isTemporary == false)
        #expect(link.server.dropCounts.refused == 1)
        await link.finish()
    }

    @Test func addressInUseUntilTheListenerCloses() async throws {
        let link = try await StreamLink.make(.inproc, label: "aiu")
        let first = try link.server.listen("name")
        #expect(throws: StreamError(.addressInUse)) { try link.server.listen("name") }
        first.close()
        let second = try link.server.listen("name")
        #expect(second.name == "name")
        #expect(throws: StreamError(.invalidArgument)) {
            try link.server.listen(String(repeating: "x", count: 2000))
        }
        await link.finish()
    }

    @Test func acceptTimeoutIsTemporary() async throws {
        let link = try await StreamLink.make(.inproc, label: "at")
        let listener = try link.server.listen("quiet")
        let error = await #expect(throws: StreamError(.acceptTimeout)) {
            try await withTimeout(20, "accept timeout") { try await listener.accept(timeout: .milliseconds(200)) }
        }
        #expect(error?.isTemporary == true)
        // The listener still works afterwards.
        try await withTimeout(20, "accept after a timeout") {
            async let client = link.client.connect("quiet", timeout: .seconds(10))
            let server = try await listener.accept(timeout: .seconds(10))
            try await server.write([42])
            let connection = try await client
            #expect(try await connection.read(upToCount: 4) == [42])
            await connection.close()
            #expect(try await server.read(upToCount: 4) == nil)
            await server.close()
        }
        await link.finish()
    }

    @Test func listenQueueFullIsTemporary() async throws {
        let link = try await StreamLink.make(.tcp, label: "qf", server: StreamOptions(acceptQueue: 1))
        let listener = try link.server.listen("busy")
        try await withTimeout(30, "queue full") {
            let first = try await link.client.connect("busy", timeout: .seconds(10))
            let error = await #expect(throws: StreamError(.listenQueueFull)) {
                try await link.client.connect("busy", timeout: .seconds(10))
            }
            #expect(error?.isTemporary == true)
            let accepted = try await listener.accept(timeout: .seconds(10))
            // Room again: the retry succeeds.
            let second = try await link.client.connect("busy", timeout: .seconds(10))
            let acceptedSecond = try await listener.accept(timeout: .seconds(10))
            for stream in [first, second, accepted, acceptedSecond] { await stream.close() }
        }
        try await withTimeout(20, "tables empty") {
            await eventually { link.server.tableCounts == (0, 0, 0) && link.client.tableCounts == (0, 0, 0) }
        }
        await link.finish()
    }

    /// The peer's socket receives but runs no stream endpoint: the connect is never answered.
    @Test func connectTimesOut() async throws {
        let silent = Socket()
        let address = try silent.listen(ConformanceTransport.tcp.uniqueAddress())
        let socket = Socket()
        try await socket.dial("\(address)")
        let endpoint = StreamEndpoint(socket: socket)
        let error = await #expect(throws: StreamError(.connectionTimedOut)) {
            try await withTimeout(20, "connect timeout") { try await endpoint.connect("x", timeout: .milliseconds(300)) }
        }
        #expect(error?.isTemporary == true)
        #expect(endpoint.tableCounts == (0, 0, 0))
        await endpoint.close()
        await socket.close()
        await silent.close()
    }

    @Test(arguments: [ConformanceTransport.inproc, .tcp])
    func readAndWriteDeadlines(over transport: ConformanceTransport) async throws {
        let small = StreamOptions(window: 4096, chunkSize: 1024)
        let link = try await StreamLink.make(transport, label: "dl", server: small, client: small)
        let listener = try link.server.listen("slow")
        try await withTimeout(30, "deadlines") {
            async let accepted = listener.accept(timeout: .seconds(10))
            let client = try await link.client.connect("slow", timeout: .seconds(10))
            let server = try await accepted

            client.readDeadline = .now + .milliseconds(200)
            let readError = await #expect(throws: StreamError(.readTimeout)) { try await client.read(upToCount: 10) }
            #expect(readError?.isTemporary == true)
            // The stream still works: data sent now is read.
            client.readDeadline = nil
            try await server.write([1, 2, 3])
            #expect(try await client.read(upToCount: 10) == [1, 2, 3])

            // The server does not read: the window (4 KiB) fills and the write times out.
            client.writeDeadline = .now + .milliseconds(300)
            let writeError = await #expect(throws: StreamError(.writeTimeout)) {
                try await client.write([UInt8](repeating: 7, count: 64 * 1024))
            }
            #expect(writeError?.isTemporary == true)
            await client.close()
            await server.close()
        }
        await link.finish()
    }

    /// A peer's close ends its partner's reads after what was buffered and fails its writes; operations on a
    /// closed stream say so; a dropped connection closes itself.
    @Test func closeAndDrop() async throws {
        let link = try await StreamLink.make(.tcp, label: "cl")
        let listener = try link.server.listen("c")
        try await withTimeout(30, "close") {
            async let accepted = listener.accept(timeout: .seconds(10))
            let client = try await link.client.connect("c", timeout: .seconds(10))
            let server = try await accepted
            try await client.write(Array("last words".utf8))
            await client.close()
            await #expect(throws: StreamError(.connectionClosed)) { try await client.read(upToCount: 1) }
            await #expect(throws: StreamError(.connectionClosed)) { try await client.write([1]) }
            #expect(try await server.read(upToCount: 100) == Array("last words".utf8))
            #expect(try await server.read(upToCount: 100) == nil)
            await #expect(throws: StreamError(.connectionClosed)) { try await server.write([1]) }
            await server.close()

            // Dropping the last reference closes the stream: the peer reads end of stream.
            async let acceptedAgain = listener.accept(timeout: .seconds(10))
            var dropped: StreamConnection? = try await link.client.connect("c", timeout: .seconds(10))
            let survivor = try await acceptedAgain
            #expect(dropped != nil)
            dropped = nil
            #expect(try await survivor.read(upToCount: 1) == nil)
            await survivor.close()
        }
        try await withTimeout(20, "tables empty") {
            await eventually { link.server.tableCounts == (0, 0, 0) && link.client.tableCounts == (0, 0, 0) }
        }
        await link.finish()
    }
}

/// Cancellation and closing the endpoint.
@Suite(.timeLimit(.minutes(2)))
struct StreamCancellationTests {
    /// A connect acknowledged into a listener's queue, then the listener closes before accepting it: the
    /// connector's stream ends (reads end of stream, writes fail) and nothing stays in either table.
    @Test func closingAListenerEndsWhatItQueued() async throws {
        let link = try await StreamLink.make(.tcp, label: "lq")
        let listener = try link.server.listen("q")
        try await withTimeout(30, "a queued stream ended by its listener's close") {
            let client = try await link.client.connect("q", timeout: .seconds(10))
            #expect(link.server.tableCounts.queued == 1)
            listener.close()
            #expect(try await client.read(upToCount: 1) == nil)
            await #expect(throws: StreamError(.connectionClosed)) { try await client.write([1]) }
            await #expect(throws: StreamError(.connectionClosed)) { try await listener.accept(timeout: .seconds(1)) }
            #expect(link.server.tableCounts == (0, 0, 0))
            await client.close()
            await eventually { link.client.tableCounts == (0, 0, 0) }
        }
        await link.finish()
    }

    /// A cancelled read throws `CancellationError` and consumes nothing: the next read gets the bytes.
    @Test func cancelledReadConsumesNothing() async throws {
        let link = try await StreamLink.make(.inproc, label: "cr")
        let listener = try link.server.listen("c")
        try await withTimeout(30, "a cancelled read") {
            async let accepted = listener.accept(timeout: .seconds(10))
            let client = try await link.client.connect("c", timeout: .seconds(10))
            let server = try await accepted
            let reader = Task { try await client.read(upToCount: 10) }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            try await server.write([5, 6])
            #expect(try await client.read(upToCount: 10) == [5, 6])
            await client.close()
            await server.close()
        }
        await link.finish()
    }

    /// Closing an endpoint ends its accepts and streams here with `connectionClosed`, and its peers' streams
    /// read end of stream; the peer's table empties.
    @Test(arguments: [ConformanceTransport.inproc, .tcp])
    func closingTheEndpointEndsEverything(over transport: ConformanceTransport) async throws {
        let link = try await StreamLink.make(transport, label: "ce")
        let listener = try link.server.listen("c")
        try await withTimeout(30, "endpoint close") {
            async let accepted = listener.accept(timeout: .seconds(10))
            let client = try await link.client.connect("c", timeout: .seconds(10))
            let server = try await accepted
            let waitingAccept = Task { try await listener.accept() }
            let waitingRead = Task { try await server.read(upToCount: 1) }
            await link.server.close()
            await #expect(throws: StreamError(.connectionClosed)) { try await waitingAccept.value }
            await #expect(throws: StreamError(.connectionClosed)) { try await waitingRead.value }
            #expect(try await client.read(upToCount: 1) == nil)
            await #expect(throws: StreamError(.connectionClosed)) { try await client.write([1]) }
            #expect(throws: StreamError(.connectionClosed)) { try link.server.listen("again") }
            #expect(link.server.tableCounts == (0, 0, 0))
            await eventually { link.client.tableCounts == (0, 0, 0) }
        }
        await link.finish()
    }
}
