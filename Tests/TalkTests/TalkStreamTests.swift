@_spi(Internals) import MultiSocketConnector
import MultiSocketTalk
import MultiSocketTestSupport
import Testing

/// Streams: both directions, back-pressure with bounded memory, cancellation from either side.
@Suite(.timeLimit(.minutes(2)))
struct TalkStreamTests {
    /// The caller streams numbers up, the handler streams running sums down, in order, with the end markers.
    ///
    /// Each exchange waits for the cooperative pool three times (caller, handler, caller). In the
    /// thread-sanitizer pass of the whole suite that pool is saturated (a probe task waited 1.1–1.4 s for a
    /// thread; the four transports' cases took 38 s in one such run on a loaded machine), so ten exchanges
    /// get 90 s.
    @Test(arguments: [ConformanceTransport.inproc, .ipc, .tcp, .ws])
    func bothDirections(_ transport: ConformanceTransport) async throws {
        let server = Talk()
        let client = Talk()
        server.handleStream("sum") { stream, _ in
            var total = 0
            while let part = try await stream.next(Int.self) {
                total += part
                try await stream.send(value: total)
            }
        }
        try await connect(client, to: server, over: transport)
        try await withTimeout(90, "stream over \(transport)") {
            try await running([server, client]) {
                let stream = try await client.stream("sum")
                var sums: [Int] = []
                for value in 1...10 {
                    try await stream.send(value: value)
                    sums.append(try await stream.next(Int.self) ?? -1)
                }
                try await stream.finish()
                let end = try await stream.next()
                #expect(end == nil)
                #expect(sums == (1...10).map { $0 * ($0 + 1) / 2 })
            }
        }
    }

    /// A producer faster than its consumer waits for credit: the producer's unacknowledged bytes and the
    /// consumer's buffered bytes never exceed the window, and every part arrives in order.
    @Test func slowConsumerSlowsTheProducer() async throws {
        var configuration = TalkConfiguration()
        configuration.streamWindow = 4096
        let server = Talk(configuration: configuration)
        let client = Talk(configuration: configuration)
        let most = Locked((produced: 0, consumed: 0))
        let partSize = 512
        let parts = 64
        server.handleStream("flood") { stream, _ in
            for index in 0..<parts {
                try await stream.send([UInt8](repeating: UInt8(index), count: partSize))
                let unacknowledged = stream.unacknowledgedBytes
                most.withLock { $0.produced = max($0.produced, unacknowledged) }
            }
        }
        try await connect(client, to: server, over: .tcp)
        try await withTimeout(30, "slow consumer") {
            try await running([server, client]) {
                let stream = try await client.stream("flood", sendsParts: false)
                var received = 0
                while let part = try await stream.next() {
                    #expect(part == [UInt8](repeating: UInt8(received), count: partSize))
                    received += 1
                    let buffered = stream.bufferedBytes
                    most.withLock { $0.consumed = max($0.consumed, buffered) }
                    try await Task.sleep(for: .milliseconds(2))
                }
                #expect(received == parts)
            }
        }
        let (produced, consumed) = most.withLock { $0 }
        #expect(produced <= 4096)
        #expect(consumed <= 4096)
        // The producer really was held back: with 32 KiB to send it filled its window.
        #expect(produced >= 4096 - partSize)
    }

    /// Cancelling the task reading a stream cancels the handler's task; a handler cancelling its stream
    /// fails the caller's reader with `cancelled`.
    @Test func cancellationFromEitherSide() async throws {
        let server = Talk()
        let client = Talk()
        let events = Happenings()
        server.handleStream("endless") { stream, _ in
            events.note("streaming")
            do {
                while true { try await stream.send(bytes("tick")) }
            } catch {
                events.note("handler saw \(error is CancellationError || talkCode(error) == .cancelled ? "cancel" : "\(error)")")
                throw error
            }
        }
        server.handleStream("refuse") { stream, _ in
            stream.cancel()
        }
        try await connect(client, to: server, over: .tcp)
        try await withTimeout(20, "stream cancellation") {
            try await running([server, client]) {
                let reader = Task {
                    let stream = try await client.stream("endless", sendsParts: false)
                    while try await stream.next() != nil {}
                }
                await events.wait(for: "streaming")
                reader.cancel()
                _ = await thrown { try await reader.value }
                await events.wait(for: "handler saw cancel")
                let refused = try await client.stream("refuse", sendsParts: false)
                let error = await thrown { _ = try await refused.next() }
                #expect(talkCode(error) == .handlerFailed || talkCode(error) == .cancelled)
            }
        }
    }

    /// A reader waiting longer than the read timeout for a part fails with timedOut, and the handler is told.
    @Test func readTimeoutEndsTheStream() async throws {
        let server = Talk()
        let client = Talk()
        let events = Happenings()
        server.handleStream("silent") { stream, _ in
            events.note("open")
            do {
                _ = try await stream.next()
            } catch {
                events.note("handler told")
                throw error
            }
        }
        try await connect(client, to: server, over: .tcp)
        try await withTimeout(20, "stream read timeout") {
            try await running([server, client]) {
                let stream = try await client.stream("silent", options: TalkCallOptions(timeout: .milliseconds(100)))
                await events.wait(for: "open")
                let error = await thrown { _ = try await stream.next() }
                #expect(talkCode(error) == .timedOut)
                await events.wait(for: "handler told")
            }
        }
    }

    /// A peer sending parts beyond its credit breaks the protocol: the stream ends, counted.
    @Test func partsBeyondCreditEndTheStream() async throws {
        var configuration = TalkConfiguration()
        configuration.streamWindow = 1024
        let server = Talk(configuration: configuration)
        let raw = Socket()
        let events = Happenings()
        server.handleStream("sink") { stream, _ in
            do {
                while try await stream.next() != nil {}
            } catch {
                events.note("sink: \(talkCode(error).map { "\($0)" } ?? "\(error)")")
                throw error
            }
        }
        try await Marry.connect(raw, to: server.socket, over: .tcp, label: "talk-credit")
        try await withTimeout(20, "credit violation") {
            try await running([server]) {
                try await raw.send(try TalkFrame(.streamOpen, id: 9, name: "sink", number: 4096).encoded())
                let (credit, _) = try await nextFrame(raw, .credit)
                #expect(credit.number == 1024)
                try await raw.send(try TalkFrame(.part, id: 9, payload: [UInt8](repeating: 1, count: 2000)).encoded())
                let (failure, _) = try await nextFrame(raw, .failure)
                #expect(failure.id == 9)
                await events.wait(for: "sink: protocolViolation")
                #expect(server.talkStatistics.protocolViolations == 1)
            }
        }
        await raw.close()
    }
}
