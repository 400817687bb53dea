import MultiSocket
import MultiSocketTestSupport
import Synchronization
import Testing

/// TestSocketSwitch (reference §9): a chain of switches, ttl against hops.
@Suite(.timeLimit(.minutes(1)))
struct SwitchTests {
    static let hopCounts = [1, 2, 4, 8, 16, 17, 18, 32]
    static let messages = 100

    /// Client → (hops − 1) switches chained over inproc → server on `transport`. The client sends with
    /// ttl 16: up to 16 hops everything arrives and is answered; from 17 on, the switch that receives
    /// it at hop 16 (ttl 0) drops every message as ttlExpired.
    @Test(arguments: ConformanceTransport.suite, SwitchTests.hopCounts)
    func ttlLimitsHops(over transport: ConformanceTransport, hops: Int) async throws {
        let server = Socket()
        let serverAddress = try server.listen(transport.uniqueAddress("switch-server"))

        // switches[j].back dials switches[j − 1].front (or the server for j = 0); the client dials the last.
        var switches: [Switch] = []
        var target = "\(serverAddress)"
        var targetSocket = server
        for _ in 0..<(hops - 1) {
            let back = Socket()
            let front = Socket()
            try await Marry.connect(back, to: targetSocket, at: target)
            targetSocket = front
            let frontAddress = try front.listen(ConformanceTransport.inproc.uniqueAddress("switch"))
            switches.append(Switch(back: back, front: front).start())
            target = "\(frontAddress)"
        }
        let client = Socket(options: SocketOptions(sendTTL: 16))
        try await client.dial(target)
        await Marry.waitForPipes(client, count: 1)

        // Where messages die for hops ≥ 17: the switch whose front receives them at hop 16.
        let dying: Socket? = hops > 16 ? switches[hops - 17].back : nil
        let dyingEvents = dying?.events()

        let served = Task {
            var count = 0
            for try await message in server.messages {
                #expect(message.hops == hops)
                #expect(Int(message.ttl) + message.hops == 16)
                try await server.sendTo(message.source, message.content)
                count += 1
            }
            return count
        }

        for index in 0..<Self.messages {
            try await client.send(bigEndianBytes(UInt32(index)))
        }

        if let dying, let dyingEvents {
            try await Await.events(dyingEvents, count: Self.messages, "ttl drops at the hop-16 switch") { event in
                if case .messageDropped(.ttlExpired) = event { return true }
                return false
            }
            #expect(dying.statistics.drops[.ttlExpired] == Self.messages)
            // Messages travel one chain in order; once all died, nothing further can reach the server.
            #expect(server.statistics.messagesReceived == 0)
        } else {
            var replies = Set<UInt32>()
            for _ in 0..<Self.messages {
                let reply = try await client.receive()
                #expect(reply.hops == hops)
                if let id = stamp(of: reply.content) { replies.insert(id) }
            }
            #expect(replies == Set((0..<Self.messages).map(UInt32.init)))
            #expect(server.statistics.messagesReceived == Self.messages)
        }

        await client.close()
        for hub in switches {
            await hub.front.close()
            await hub.back.close()
        }
        await server.close()
        #expect(try await served.value == (hops <= 16 ? Self.messages : 0))
        for hub in switches {
            #expect(hub.statistics.brokenPaths == 0)
            #expect(hub.statistics.failed == 0)
        }
    }

    @Test func middlewareRewritesAndDrops() async throws {
        let server = Socket()
        let back = Socket()
        let front = Socket()
        let client = Socket()
        try await Marry.connect(back, to: server, over: .inproc, label: "mw-server")
        try await Marry.connect(client, to: front, over: .inproc, label: "mw-front")
        let hub = Switch(back: back, front: front) { message, direction in
            guard direction == .frontToBack else { return message }
            if message.content == Array("drop".utf8) { return nil }
            var rewritten = message
            rewritten.content = message.content + Array("!".utf8)
            return rewritten
        }.start()
        try await client.send(Array("drop".utf8))
        try await client.send(Array("keep".utf8))
        let got = try await server.receive()
        #expect(got.content == Array("keep!".utf8))
        #expect(got.hops == 2)
        #expect(hub.statistics.droppedByMiddleware == 1)
        #expect(back.statistics.drops[.middleware] == 1)
        try await server.sendTo(got.source, Array("back".utf8))
        #expect(try await client.receive().content == Array("back".utf8))
        await client.close()
        await front.close()
        await back.close()
        await server.close()
        await hub.wait()
    }

    /// A reply whose path names a pipe that has gone is counted and the switch keeps working.
    @Test func brokenPathDoesNotKillSwitch() async throws {
        let server = Socket()
        let back = Socket()
        let front = Socket()
        try await Marry.connect(back, to: server, over: .inproc, label: "bp-server")
        let frontAddress = try front.listen(ConformanceTransport.inproc.uniqueAddress("bp-front"))
        let hub = Switch(back: back, front: front).start()

        let gone = Socket()
        try await gone.dial("\(frontAddress)")
        try await gone.send(Array("first".utf8))
        let first = try await server.receive()
        await gone.close()
        await Marry.waitForPipesDown(front, to: 0)

        // The reply is forwarded by `front`, which finds no pipe for it and counts the drop.
        let events = front.events()
        try await server.sendTo(first.source, Array("lost".utf8))
        _ = try await Await.event(events, "brokenPath drop on the switch") { event -> Bool? in
            if case .messageDropped(.brokenPath) = event { return true }
            return nil
        }
        let fresh = Socket()
        try await fresh.dial("\(frontAddress)")
        try await fresh.send(Array("second".utf8))
        let second = try await server.receive()
        #expect(second.content == Array("second".utf8))
        try await server.sendTo(second.source, Array("ok".utf8))
        #expect(try await fresh.receive().content == Array("ok".utf8))
        #expect(hub.statistics.brokenPaths == 1)
        #expect(front.statistics.drops[.brokenPath] == 1)
        await fresh.close()
        await front.close()
        await back.close()
        await server.close()
    }
}
