import MultiSocketProtocols
import MultiSocketTestSupport
import Synchronization
import Testing

/// Every role frees a removed pipe with everything it holds, whatever its send strategy. Sockets that
/// never send to one peer kept each pipe (and its 64 KiB read buffer) in their idle ring forever: about
/// 70 KiB per connect/close, 833 MiB after five minutes of fuzzing a Rep.
@Suite(.timeLimit(.minutes(5)), .serialized)
struct PipeLeakTests {
    struct Role: Sendable, CustomStringConvertible {
        let description: String
        let make: @Sendable (SocketOptions) -> Socket
    }

    static let roles = [
        Role(description: "Rep") { Rep(options: $0).socket },
        Role(description: "Respondent") { Respondent(options: $0).socket },
        Role(description: "Surveyor") { Surveyor(options: $0).socket },
        Role(description: "Pull") { Pull(options: $0).socket },
        Role(description: "Push") { Push(options: $0).socket },
        Role(description: "Pub") { Pub(options: $0).socket },
        Role(description: "Sub") { Sub(options: $0).socket },
        Role(description: "Bus") { Bus(options: $0).socket },
        Role(description: "Socket replying with sendTo") { Socket(sender: .toDest, options: $0) },
    ]

    /// 10 000 per role; a fifth of that under a sanitizer, which runs it several times slower.
    static let cycles = runningUnderSanitizer ? 2_000 : 10_000

    /// Weak references to every pipe a socket had, and its link, taken as each pipe arrives.
    final class Census: Sendable {
        private struct Weak: @unchecked Sendable {
            weak var pipe: MessagePipe?
            weak var link: AnyObject?
        }

        private let seen = Mutex<[Weak]>([])

        func add(_ pipe: MessagePipe) {
            seen.withLock { $0.append(Weak(pipe: pipe, link: pipe.link)) }
        }

        var count: Int { seen.withLock { $0.count } }
        var alive: Int { seen.withLock { $0.filter { $0.pipe != nil || $0.link != nil }.count } }
    }

    @Test(arguments: PipeLeakTests.roles)
    func connectAndCloseLeavesNothingBehind(_ role: Role) async throws {
        let census = Census()
        let socket = role.make(SocketOptions(pipeVeto: { pipe in
            census.add(pipe)
            return nil
        }))
        let address = try socket.listen(ConformanceTransport.ipc.uniqueAddress("leak"))
        let cycles = Self.cycles
        try await offloaded {
            Result { () throws -> Void in
                for _ in 0..<cycles { try PlainClient(address).close() }
            }
        }.get()
        try await Await.statistics(socket, "\(cycles) pipes added and removed", timeout: 120) {
            $0.pipesRemoved == cycles && $0.pipesAdded == cycles
        }
        // Let the I/O thread finish the turn that retired the last links.
        await Self.nextReactorTurn()
        await Self.nextReactorTurn()
        #expect(socket.statistics.pipes == 0)
        #expect(census.count == cycles)
        #expect(census.alive == 0, "\(census.alive) of \(census.count) pipes still alive")
        await socket.close()
    }

    /// Returns after every reactor of the default group has begun a new turn (timers run at the start of
    /// one, after the previous turn released the handlers it retired).
    static func nextReactorTurn() async {
        for reactor in ReactorGroup.default.reactors {
            await withCheckedContinuation { continuation in
                reactor.schedule(after: .zero) { continuation.resume() }
            }
        }
    }
}
