import MultiSocketTalk
import MultiSocketTestSupport
import Synchronization
import Testing

/// Talk between two Swift peers over every transport: calls both ways, a handler calling back its caller,
/// notifications, the distinct outcomes, Codable payloads, streams.
@Suite(.timeLimit(.minutes(1)))
struct TalkTests {
    /// The server answers `hello` by calling back the client's `ask` and notifying it; the client calls,
    /// notifies the server, and reads a streaming result.
    @Test(arguments: ConformanceTransport.suite)
    func bothWaysOverEveryTransport(_ transport: ConformanceTransport) async throws {
        let server = Talk()
        let client = Talk()
        let events = Happenings()
        server.handle("hello") { request in
            let answer = try await request.call("ask", bytes("what is your name?"))
            try await request.notify("greeted", answer)
            return bytes("hello, \(text(answer))")
        }
        server.handle("greet") { (greeting: Greeting, _) in Greeting(name: "hi " + greeting.name, count: greeting.count + 1) }
        server.handleStream("count") { stream, request in
            let upTo = Int(text(request.payload)) ?? 0
            for index in 1...upTo { try await stream.send(bytes("\(index)")) }
        }
        server.onNotification("ping") { note in events.note("server got \(text(note.payload))") }
        client.handle("ask") { _ in bytes("client") }
        client.onNotification("greeted") { note in events.note("client greeted \(text(note.payload))") }
        try await connect(client, to: server, over: transport)
        try await withTimeout(20, "talk over \(transport)") {
            try await running([server, client]) {
                let hello = try await client.call("hello", [])
                #expect(text(hello) == "hello, client")
                await events.wait(for: "client greeted client")
                let reply = try await client.call("greet", Greeting(name: "ann", count: 1), as: Greeting.self)
                #expect(reply == Greeting(name: "hi ann", count: 2))
                try await client.notify("ping", bytes("ping"))
                await events.wait(for: "server got ping")
                let stream = try await client.stream("count", bytes("5"), sendsParts: false)
                var parts: [String] = []
                for try await part in stream { parts.append(text(part)) }
                #expect(parts == ["1", "2", "3", "4", "5"])
            }
        }
    }

    /// Unknown operation, a handler's error text, a retry and an automatic retry are distinct outcomes, each
    /// at once.
    @Test func outcomes() async throws {
        let server = Talk()
        let client = Talk()
        let attempts = Atomic(0)
        server.handle("fail") { _ in throw Refusal(reason: "disk on fire") }
        server.handle("greet") { (greeting: Greeting, _) in greeting }
        server.handle("busy") { _ in throw TalkError.retry(after: .milliseconds(5), "busy now") }
        server.handle("flaky") { _ in
            if attempts.add(1, ordering: .relaxed).newValue < 3 { throw TalkError.retry(after: .milliseconds(5)) }
            return bytes("done")
        }
        try await connect(client, to: server, over: .tcp)
        try await withTimeout(20, "outcomes") {
            try await running([server, client]) {
                let slow = TalkCallOptions(timeout: .seconds(30))
                let unknown = await thrown { _ = try await client.call("nope", [], options: slow) }
                #expect(talkCode(unknown) == .unknownOperation)
                let clock = ContinuousClock()
                let start = clock.now
                let failed = await thrown { _ = try await client.call("fail", [], options: slow) }
                #expect(talkCode(failed) == .handlerFailed)
                #expect((failed as? TalkError)?.message.contains("disk on fire") == true)
                #expect(clock.now - start < .seconds(5))
                let busy = await thrown { _ = try await client.call("busy", [], options: slow) }
                #expect(talkCode(busy) == .retry)
                #expect((busy as? TalkError)?.retryAfter == .milliseconds(5))
                let flaky = try await client.call("flaky", [], options: TalkCallOptions(retries: 2))
                #expect(text(flaky) == "done")
                #expect(attempts.load(ordering: .relaxed) == 3)
                let undecodable = await thrown { _ = try await client.call("greet", bytes("{")) }
                #expect(talkCode(undecodable) == .handlerFailed)
                #expect((undecodable as? TalkError)?.message.contains("cannot decode") == true)
            }
        }
    }

    /// A call with no reply in its timeout fails with timedOut — also behind a call with a longer one — and the
    /// peer goes on answering.
    @Test func readTimeout() async throws {
        let server = Talk()
        let client = Talk()
        let release = Happenings()
        server.handle("echo") { request in request.payload }
        server.handle("slow") { _ in
            await release.wait(for: "go")
            return bytes("late")
        }
        try await connect(client, to: server, over: .inproc)
        try await withTimeout(20, "timeout") {
            try await running([server, client]) {
                // A call with a long timeout first: the one deadline timer is re-armed for the shorter one.
                let long = Task { try await client.call("slow", [], options: TalkCallOptions(timeout: .seconds(30))) }
                let clock = ContinuousClock()
                let start = clock.now
                let error = await thrown {
                    _ = try await client.call("slow", [], options: TalkCallOptions(timeout: .milliseconds(100)))
                }
                #expect(talkCode(error) == .timedOut)
                #expect(clock.now - start < .seconds(5))
                release.note("go")
                let late = try await long.value
                #expect(text(late) == "late")
                let echoed = try await client.call("echo", bytes("still up"))
                #expect(text(echoed) == "still up")
            }
        }
    }

    /// A cancelled call tells the peer: its handler task sees cancellation.
    @Test(arguments: ConformanceTransport.suite)
    func cancellationReachesTheHandler(_ transport: ConformanceTransport) async throws {
        let server = Talk()
        let client = Talk()
        let events = Happenings()
        server.handle("wait") { _ in
            events.note("started")
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                events.note("handler cancelled")
                throw error
            }
            return []
        }
        try await connect(client, to: server, over: transport)
        try await withTimeout(20, "cancellation") {
            try await running([server, client]) {
                let call = Task { try await client.call("wait", []) }
                await events.wait(for: "started")
                call.cancel()
                let error = await thrown { _ = try await call.value }
                #expect(error is CancellationError)
                await events.wait(for: "handler cancelled")
            }
        }
    }

    /// Calls beyond the per-connection limit get retry at once, not a hang; so do streams.
    @Test(arguments: [ConformanceTransport.inproc, .ipc, .tcp, .ws])
    func limitsAnswerRetry(_ transport: ConformanceTransport) async throws {
        var configuration = TalkConfiguration()
        configuration.maxConcurrentRequests = 2
        configuration.maxConcurrentStreams = 1
        configuration.retryAfter = .milliseconds(7)
        let server = Talk(configuration: configuration)
        let client = Talk()
        let events = Happenings()
        server.handle("hold") { request in
            events.note("holding \(text(request.payload))")
            await events.wait(for: "release")
            return bytes("ok")
        }
        server.handleStream("hold-stream") { _, _ in
            events.note("streaming")
            await events.wait(for: "release")
        }
        try await connect(client, to: server, over: transport)
        try await withTimeout(20, "limits over \(transport)") {
            try await running([server, client]) {
                async let first = client.call("hold", bytes("1"))
                async let second = client.call("hold", bytes("2"))
                await events.wait(for: "holding 1")
                await events.wait(for: "holding 2")
                let third = await thrown { _ = try await client.call("hold", bytes("3")) }
                #expect(talkCode(third) == .retry)
                #expect((third as? TalkError)?.retryAfter == .milliseconds(7))
                let open = try await client.stream("hold-stream", sendsParts: false)
                await events.wait(for: "streaming")
                let extra = try await client.stream("hold-stream", sendsParts: false)
                let refused = await thrown { _ = try await extra.next() }
                #expect(talkCode(refused) == .retry)
                #expect(server.talkStatistics.limitedCalls == 2)
                events.note("release")
                let results = try await [first, second]
                #expect(results.map(text) == ["ok", "ok"])
                let end = try await open.next()
                #expect(end == nil)
            }
        }
    }
}

struct Refusal: Error, CustomStringConvertible {
    let reason: String
    var description: String { "refused: \(reason)" }
}
