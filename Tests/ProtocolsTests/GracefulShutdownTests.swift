@_spi(Internals) import MultiSocketConnector
import Glibc
import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// `Rep.shutdown()` under load, ended by a real SIGTERM: a child process (`MultiSocketLifecycleFixture serve`)
/// serves many concurrent `Req` clients of this process; the signal comes mid-load; every request the child
/// read is handled and answered, every answer reaches its client, and the child exits 0. The same run with a
/// plain `close()` instead of the drain shows what the drain saves: requests read and never answered.
@Suite(.timeLimit(.minutes(3)), .serialized)
struct GracefulShutdownTests {
    /// What one run saw: the child's counts and the replies the clients received.
    struct Outcome {
        var exit: Int32
        var read: Int
        var handled: Int
        var sent: Int
        var replies: Int
        var transcript: [String]
    }

    @Test func sigtermAnswersEveryRequestAlreadyRead() async throws {
        let outcome = try await serveUnderLoadUntilSIGTERM(closeAtOnce: false)
        #expect(outcome.exit == 0, "\(outcome.transcript)")
        #expect(outcome.read > 0)
        #expect(outcome.handled == outcome.read, "\(outcome)")
        #expect(outcome.sent == outcome.read, "\(outcome)")
        #expect(outcome.replies == outcome.read, "every request read gets its reply: \(outcome)")
    }

    @Test func withoutTheDrainRequestsAlreadyReadAreLost() async throws {
        let outcome = try await serveUnderLoadUntilSIGTERM(closeAtOnce: true)
        #expect(outcome.exit == 0, "\(outcome.transcript)")
        #expect(outcome.replies < outcome.read, "a plain close loses the requests in hand: \(outcome)")
    }

    /// Starts the server, loads it from 16 clients with 4 requests in flight each, sends SIGTERM once 300 replies
    /// came, and waits until the child exited and every client's requests ended.
    func serveUnderLoadUntilSIGTERM(closeAtOnce: Bool) async throws -> Outcome {
        var arguments = ["serve", "tcp://127.0.0.1:0", "--workers", "8", "--delay-ms", "5"]
        if closeAtOnce { arguments.append("--close-at-once") }
        let child = try FixtureProcess(arguments)
        let listening = try await child.line(startingWith: "listening ")
        let address = String(listening.dropFirst("listening ".count))

        // Requests the server never read end by their timeout once it has gone. (With `resendOnPeerLoss: false`
        // they would end at once with `brokenPath`, but a reply that arrived just before its pipe closed could
        // then lose the race against the pipe's removal in `Req`: the request fails although it was answered.)
        // Their requests left queued with no peer are dropped at close, without lingering.
        var options = SocketOptions()
        options.linger = .zero
        let clients = (0..<16).map { _ in Req(options: options) }
        for client in clients { try await client.dial(address) }
        let replies = Locked(0)
        let (milestones, milestone) = AsyncStream<Void>.makeStream()
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in clients {
                    for _ in 0..<4 {
                        group.addTask {
                            // Each loop ends at its first request without a reply (the server went away).
                            while (try? await client.request(bytes("work"), timeout: .seconds(10))) != nil {
                                if replies.withLock({ $0 += 1; return $0 }) == 300 { milestone.yield() }
                            }
                        }
                    }
                }
            }
        }
        try await withTimeout(60, "300 replies") { for await _ in milestones { return } }
        child.kill(SIGTERM)
        let exit = try await child.waitForExit()
        try await withTimeout(60, "every client's requests to end") { await load.value }
        for client in clients { await client.close() }
        let summary = try await child.line(startingWith: "read ", timeout: 5)
        // read R handled H sent S dropped D
        let numbers = summary.split(separator: " ").compactMap { Int($0) }
        try #require(numbers.count == 4, "\(summary)")
        return Outcome(exit: exit, read: numbers[0], handled: numbers[1], sent: numbers[2],
                       replies: replies.withLock { $0 }, transcript: child.printed)
    }
}
