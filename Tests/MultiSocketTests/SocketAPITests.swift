import Glibc
import MultiSocket
import MultiSocketTestSupport
import Synchronization
import Testing

/// Routing, strategies, vetoes and the errors of dial and listen.
@Suite(.timeLimit(.minutes(1)))
struct SocketAPITests {
    @Test(arguments: ConformanceTransport.suite)
    func sendToStalePathThrowsBrokenPath(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        try await Marry.connect(client, to: server, over: transport, label: "stale")
        try await client.send([1])
        let request = try await server.receive()
        await client.close()
        await Marry.waitForPipesDown(server, to: 0)
        await #expect(throws: MultiSocketError(.brokenPath)) { try await server.sendTo(request.source, [2]) }
        await #expect(throws: MultiSocketError(.brokenPath)) { try await server.sendTo([0x7FFF_FFFE], [2]) }
        // An empty path is a no-op, not an error.
        try await server.sendTo([], [3])
        await server.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func sendAllReachesEveryClient(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let address = try server.listen(transport.uniqueAddress("all"))
        let clients = (0..<3).map { _ in Socket() }
        for client in clients { try await Marry.connect(client, to: server, at: "\(address)") }
        await Marry.waitForPipes(server, count: 3)
        try await server.sendAll(Array("hello".utf8))
        for client in clients {
            let message = try await client.receive()
            #expect(message.content == Array("hello".utf8))
            #expect(message.sendType == .toAll)
        }
        #expect(server.statistics.messagesSent == 3)
        for client in clients { await client.close() }
        await server.close()
    }

    @Test func sendStrategyToAllBroadcasts() async throws {
        let server = Socket(sender: .toAll)
        let address = try server.listen(ConformanceTransport.inproc.uniqueAddress("toall"))
        let clients = (0..<3).map { _ in Socket() }
        for client in clients { try await Marry.connect(client, to: server, at: "\(address)") }
        try await server.send([9])
        for client in clients { #expect(try await client.receive().content == [9]) }
        for client in clients { await client.close() }
        await server.close()
    }

    @Test func bestEffortFullQueueDrops() async throws {
        let socket = Socket(options: SocketOptions(sendQueueSize: 1, bestEffort: true, linger: .milliseconds(10)))
        try await socket.send([1])  // no pipe: it waits in the queue
        await #expect(throws: MultiSocketError(.messageDropped)) { try await socket.send([2]) }
        await #expect(throws: MultiSocketError(.messageDropped)) { try await socket.send([3]) }
        #expect(socket.statistics.drops[.queueFull] == 2)
        await socket.close()
    }

    /// Every drop is also reported as a `.messageDropped` event, whichever queue was full.
    @Test func bestEffortDropsAreReportedAsEvents() async throws {
        let socket = Socket(options: SocketOptions(sendQueueSize: 1, bestEffort: true, linger: .milliseconds(10)))
        let events = socket.events()
        try await socket.send([1])
        await #expect(throws: MultiSocketError(.messageDropped)) { try await socket.send([2]) }
        await socket.close()  // ends the event stream, so reading it below cannot hang
        var queueFull = 0
        for await event in events {
            if case .messageDropped(.queueFull) = event { queueFull += 1 }
        }
        #expect(socket.statistics.drops[.queueFull] == 1)
        #expect(queueFull == 1, "a shared-queue best-effort drop was counted but not reported as an event")
    }

    @Test func bestEffortFullPipeDropsPathSends() async throws {
        // A paused receiver (receive queue full) stops reading, so the path's pipe fills up.
        let server = Socket(options: SocketOptions(sendQueueSize: 1, receiveQueueSize: 1, bestEffort: true,
                                                   linger: .milliseconds(10)))
        let client = Socket(options: SocketOptions(sendQueueSize: 1, receiveQueueSize: 1, linger: .milliseconds(10)))
        try await Marry.connect(client, to: server, over: .inproc, label: "be-pipe")
        try await client.send([0])
        let request = try await server.receive()
        var dropped = 0
        for index in 0..<10 {
            do {
                try await server.sendTo(request.source, [UInt8(index)])
            } catch let error as MultiSocketError {
                #expect(error.code == .messageDropped)
                dropped += 1
            }
        }
        #expect(dropped > 0)
        #expect(server.statistics.drops[.queueFull] == dropped)
        await client.close()
        await server.close()
    }

    @Test func receiveOnSendOnlySocketIsNotSupported() async throws {
        let socket = Socket(receiver: .none)
        await #expect(throws: MultiSocketError(.notSupported)) { try await socket.receive() }
        await socket.close()
    }

    @Test func sendOnReceiveOnlySocketIsNotSupported() async throws {
        let socket = Socket(sender: .none)
        await #expect(throws: MultiSocketError(.notSupported)) { try await socket.send([1]) }
        await #expect(throws: MultiSocketError(.notSupported)) { try await socket.sendTo([1], [1]) }
        await #expect(throws: MultiSocketError(.notSupported)) { try await socket.sendAll([1]) }
        let dest = Socket(sender: .toDest)
        await #expect(throws: MultiSocketError(.notSupported)) { try await dest.send([1]) }
        await socket.close()
        await dest.close()
    }

    @Test func receiveNoneStillNoticesClosedPeers() async throws {
        let server = Socket(receiver: .none)
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        try await Marry.connect(client, to: server, over: .tcp, label: "norecv")
        let events = server.events()
        try await client.send([1])
        _ = try await Await.event(events, "receiveDisabled drop") { event -> Bool? in
            if case .messageDropped(.receiveDisabled) = event { return true }
            return nil
        }
        await client.close()
        await Marry.waitForPipesDown(server, to: 0)
        #expect(server.statistics.pipesRemoved == 1)
        await server.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func pipeVetoRefusesPipe(over transport: ConformanceTransport) async throws {
        let server = Socket(options: SocketOptions(pipeVeto: { _ in "not today" }))
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let address = try server.listen(transport.uniqueAddress("veto"))
        let events = server.events()
        try await client.dial("\(address)")
        let reason = try await Await.event(events, "pipeRefused") { event -> String? in
            if case .pipeRefused(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == "not today")
        #expect(server.statistics.pipesRefused == 1)
        #expect(server.statistics.pipesAdded == 0)
        #expect(server.statistics.pipes == 0)
        // The client's side of the refused connection goes away too.
        await Marry.waitForPipesDown(client, to: 0)
        await client.close()
        await server.close()
    }

    @Test func ipcListenOnRegularFileIsBadAddress() async throws {
        let path = "/tmp/ms-regular-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        close(fd)
        defer { unlink(path) }
        let socket = Socket()
        #expect(throws: MultiSocketError(.badAddress)) { try socket.listen("ipc://\(path)") }
        // The file is left alone.
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFREG)
        await socket.close()
    }

    @Test func listenTwiceOnTCPPortIsAddressInUse() async throws {
        let first = Socket()
        let second = Socket()
        let bound = try first.listen("tcp://127.0.0.1:0")
        let boundPort = try #require(port(of: bound))
        #expect(boundPort != 0)
        #expect(throws: MultiSocketError(.addressInUse)) { try second.listen("tcp://127.0.0.1:\(boundPort)") }
        #expect(throws: MultiSocketError(.addressInUse)) { try first.listen("tcp://127.0.0.1:\(boundPort)") }
        await first.close()
        await second.close()
    }

    @Test func listenTwiceOnInprocNameIsAddressInUse() async throws {
        let first = Socket()
        let second = Socket()
        let address = ConformanceTransport.inproc.uniqueAddress("twice")
        try first.listen(address)
        #expect(throws: MultiSocketError(.addressInUse)) { try second.listen(address) }
        await first.close()
        // The name is free again once its listener closed.
        try second.listen(address)
        await second.close()
    }

    @Test func dialClosedTCPPortIsConnectionRefused() async throws {
        let refusing = try RefusingTCPPort()
        let socket = Socket()
        await #expect(throws: MultiSocketError(.connectionRefused)) {
            try await socket.dial("tcp://127.0.0.1:\(refusing.port)")
        }
        #expect(socket.statistics.pipes == 0)
        await socket.close()
    }

    @Test func dialMissingIPCPathIsConnectionRefused() async throws {
        let socket = Socket()
        await #expect(throws: MultiSocketError(.connectionRefused)) {
            try await socket.dial(ConformanceTransport.ipc.uniqueAddress("nobody"))
        }
        await socket.close()
    }

    @Test func dialUnknownInprocNameIsConnectionRefused() async throws {
        let socket = Socket()
        await #expect(throws: MultiSocketError(.connectionRefused)) {
            try await socket.dial(ConformanceTransport.inproc.uniqueAddress("nobody"))
        }
        await socket.close()
    }

    @Test func badAddressesAreRejected() async throws {
        let socket = Socket()
        await #expect(throws: MultiSocketError(.unsupportedScheme)) { try await socket.dial("udp://127.0.0.1:1") }
        await #expect(throws: MultiSocketError(.badAddress)) { try await socket.dial("127.0.0.1:1") }
        #expect(throws: MultiSocketError(.badAddress)) { try socket.listen("tcp://127.0.0.1") }
        await socket.close()
        let late = ConformanceTransport.inproc.uniqueAddress("late")
        #expect(throws: MultiSocketError(.closed)) { try socket.listen(late) }
        await #expect(throws: MultiSocketError(.closed)) { try await socket.dial(late) }
    }

    @Test func dialingTheSameAddressTwiceIsAddressInUse() async throws {
        let server = Socket()
        let client = Socket()
        let address = try await Marry.connect(client, to: server, over: .inproc, label: "dial2")
        await #expect(throws: MultiSocketError(.addressInUse)) { try await client.dial(address) }
        await client.close()
        await server.close()
    }

    /// Forwarding a message whose ttl ran out drops it (counted), it is not an error.
    @Test func forwardDropsExpiredTTL() async throws {
        let (left, right) = Socket.pair()
        let events = left.events()
        try await left.forward(Message(content: [1], ttl: 0))
        _ = try await Await.event(events, "ttl drop") { event -> Bool? in
            if case .messageDropped(.ttlExpired) = event { return true }
            return nil
        }
        #expect(left.statistics.drops[.ttlExpired] == 1)
        try await left.forward(Message(content: [2], ttl: 1))
        let got = try await right.receive()
        #expect(got.content == [2])
        #expect(got.ttl == 0)
        await left.close()
        await right.close()
    }
}
