@_spi(Internals) import MultiSocketConnector
import MultiSocketProtocols
import MultiSocketTestSupport
import Synchronization
import Testing

/// A requester written outside the package, with only the public seams: pipe observers, `trySend` naming
/// the pipe that took the message, the request header, and the socket's timers.
private final class Asker: ProtocolRole, PipeObserver {
    static let identity = ProtocolIdentity.req
    let socket = Socket(sender: .toOne, receiver: .all, options: SocketOptions(identity: .req))
    /// Pipes heard added and not yet removed, and every pipe heard removed.
    private let pipes = Locked((live: Set<UInt32>(), removed: Set<UInt32>()))
    /// Resumed when the first pipe is heard.
    private let firstPipe = Locked<CheckedContinuation<Void, Never>?>(nil)
    private let heardPipe = Locked(false)

    init() {
        socket.addPipeObserver(self)
    }

    func pipeAdded(_ pipe: MessagePipe) {
        pipes.withLock { _ = $0.live.insert(pipe.id) }
        let waiter = firstPipe.withLock { waiter in
            heardPipe.withLock { $0 = true }
            return waiter.take()
        }
        waiter?.resume()
    }

    func pipeRemoved(_ pipe: MessagePipe) {
        pipes.withLock { pipes in
            pipes.live.remove(pipe.id)
            pipes.removed.insert(pipe.id)
        }
    }

    var livePipes: Set<UInt32> { pipes.withLock { $0.live } }
    var removedPipes: Set<UInt32> { pipes.withLock { $0.removed } }

    /// Waits until a pipe was heard added.
    func waitForPipe() async {
        await withCheckedContinuation { continuation in
            let heard = firstPipe.withLock { waiter in
                if heardPipe.withLock({ $0 }) { return true }
                waiter = continuation
                return false
            }
            if heard { continuation.resume() }
        }
    }

    /// Sends `body` under `id` with `trySend` and returns the pipe that took it.
    func ask(_ id: UInt32, _ body: [UInt8]) throws -> UInt32? {
        if case .sent(let pipeID) = try socket.trySend(ProtocolHeader.prepend(id, to: body)) { return pipeID }
        return nil
    }

    /// The next reply's id and body.
    func answer() async throws -> (id: UInt32, body: [UInt8])? {
        ProtocolHeader.split(try await socket.receive())
    }
}

@Suite(.timeLimit(.minutes(1)))
struct CustomRoleTests {
    @Test(arguments: [ConformanceTransport.inproc, .tcp])
    func aRoleFromOutsideThePackageDoesARoundTripWithThePublicSeams(over transport: ConformanceTransport) async throws {
        let asker = Asker()
        let rep = Rep()
        let address = try rep.listen(transport.uniqueAddress("asker"))
        try await asker.socket.dial("\(address)")
        try await withTimeout(10, "the asker's round trip") {
            await asker.waitForPipe()
            let server = Task { try await rep.serve { request in request.body.reversed() } }
            let pipe = try asker.ask(0xCAFE_F00D, bytes("ping"))
            #expect(pipe != nil && asker.livePipes == [pipe!], "trySend names the pipe the observer heard")
            let reply = try await asker.answer()
            #expect(reply?.id == 0xCAFE_F00D)
            #expect(reply.map { text($0.body) } == "gnip")
            await rep.close()
            try await server.value
            await Marry.waitForPipesDown(asker.socket, to: 0)
            #expect(asker.removedPipes == [pipe!], "the observer heard the pipe go")
        }
        await asker.close()
    }

    @Test func aRemovedObserverHearsNothingMore() async throws {
        let asker = Asker()
        asker.socket.removePipeObserver(asker)
        let rep = Rep()
        let address = try rep.listen(ConformanceTransport.inproc.uniqueAddress("unobserved"))
        let events = asker.socket.events()
        try await asker.socket.dial("\(address)")
        try await withTimeout(10, "the pipe event") {
            // Observers are called before the event is emitted, on the same thread.
            await Marry.waitForPipe(events, unlessAlready: false)
        }
        #expect(asker.livePipes.isEmpty)
        await asker.close()
        await rep.close()
    }

    @Test func trySendReportsNoPeerAndRefusesOtherStrategies() async throws {
        let asker = Asker()
        #expect(try asker.socket.trySend([1]) == .noPeer)
        let all = Socket(sender: .toAll)
        #expect(code(await thrown { _ = try all.trySend([1]) }) == .notSupported)
        await all.close()
        await asker.close()
        #expect(code(await thrown { _ = try asker.socket.trySend([1]) }) == .closed)
    }

    @Test func socketTimersRunInDeadlineOrderAndCancelledOnesNever() async throws {
        let socket = Socket()
        let fired = Locked<[String]>([])
        try await withTimeout(10, "the timers") {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let cancelled = socket.schedule(after: .milliseconds(20)) { fired.withLock { $0.append("cancelled") } }
                socket.schedule(after: .milliseconds(10)) { fired.withLock { $0.append("first") } }
                socket.schedule(after: .milliseconds(60)) {
                    fired.withLock { $0.append("last") }
                    done.resume()
                }
                socket.cancel(cancelled)
            }
        }
        #expect(fired.withLock { $0 } == ["first", "last"])
        await socket.close()
    }

    @Test func headerSplitsWhatItPrepends() {
        let content = ProtocolHeader.prepend(0x0102_0304, to: [9, 8])
        #expect(content == [1, 2, 3, 4, 9, 8])
        #expect(ProtocolHeader.split(content)?.id == 0x0102_0304)
        #expect(ProtocolHeader.split(content)?.body == [9, 8])
        #expect(ProtocolHeader.split([1, 2, 3]) == nil)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct TrySendToTests {
    @Test(arguments: [ConformanceTransport.inproc, .tcp])
    func trySendToAnswersAlongThePathOrSaysWhyNot(over transport: ConformanceTransport) async throws {
        let asker = Asker()
        let server = Socket(sender: .toDest, receiver: .all, options: SocketOptions(identity: .rep))
        let address = try server.listen(transport.uniqueAddress("trysendto"))
        try await asker.socket.dial("\(address)")
        try await withTimeout(10, "the answer along the path") {
            await asker.waitForPipe()
            _ = try asker.ask(7, bytes("hi"))
            let request = try await server.receive()
            let sent = try server.trySendTo(request.source, ProtocolHeader.prepend(7, to: bytes("yes")))
            #expect(sent == .sent(pipeID: request.source.first!))
            let reply = try await asker.answer()
            #expect(reply?.id == 7 && reply.map { text($0.body) } == "yes")
            #expect(try server.trySendTo([], [1]) == .noPeer)
            #expect(try server.trySendTo([0x7FFF_FFF0], [1]) == .noPeer)
        }
        await asker.close()
        await server.close()
    }
}
