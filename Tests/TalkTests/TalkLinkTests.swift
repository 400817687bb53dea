import Foundation
@_spi(Internals) import MultiSocketConnector
import MultiSocketTalk
import MultiSocketTestSupport
import Testing

/// Talk across links: through a switch, heartbeats and dead peers, the version check, malformed input.
@Suite(.timeLimit(.minutes(1)))
struct TalkLinkTests {
    /// Client → switch → server: calls, the server calling back the client while answering, notifications
    /// both ways, a streaming result and a cancellation along an explicit path, all routed by message path.
    @Test(arguments: [ConformanceTransport.inproc, .tcp, .ws])
    func throughASwitch(_ transport: ConformanceTransport) async throws {
        let server = Talk()
        let client = Talk()
        let front = Socket(sender: .toDest, receiver: .all)
        let back = Socket(sender: .toOne, receiver: .all)
        let relay = Switch(back: back, front: front).start()
        let events = Happenings()
        server.handle("hello") { request in
            let name = try await request.call("name", [])
            try await request.notify("welcome", name)
            events.note("server knows \(request.peer.count)-hop caller")
            return bytes("hello \(text(name))")
        }
        server.handleStream("ticks") { stream, _ in
            for tick in 0..<3 { try await stream.send(bytes("t\(tick)")) }
        }
        server.handle("hang") { _ in
            events.note("hanging")
            do { try await Task.sleep(for: .seconds(60)) } catch { events.note("hang cancelled") }
            return []
        }
        server.onNotification("bye") { note in events.note("bye from \(note.peer.count)-hop peer") }
        let serverPath = Locked<MessagePath?>(nil)
        client.handle("name") { request in
            serverPath.withLock { $0 = request.peer }
            return bytes("client")
        }
        client.onNotification("welcome") { note in events.note("welcome \(text(note.payload))") }
        _ = try await Marry.connect(back, to: server.socket, over: transport, label: "talk-back")
        _ = try await Marry.connect(client.socket, to: front, over: transport, label: "talk-front")
        try await withTimeout(20, "switch over \(transport)") {
            try await running([server, client]) {
                let hello = try await client.call("hello", [])
                #expect(text(hello) == "hello client")
                await events.wait(for: "welcome client")
                await events.wait(for: "server knows 2-hop caller")
                let ticks = try await client.stream("ticks", sendsParts: false)
                var parts: [String] = []
                for try await part in ticks { parts.append(text(part)) }
                #expect(parts == ["t0", "t1", "t2"])
                try await client.notify("bye", [])
                await events.wait(for: "bye from 2-hop peer")
                // A call along the path the server's call-back came from, cancelled: the cancel follows it.
                let path = try #require(serverPath.withLock { $0 })
                #expect(path.count == 2)
                let call = Task { try await client.call("hang", [], options: TalkCallOptions(to: path)) }
                await events.wait(for: "hanging")
                call.cancel()
                _ = await thrown { _ = try await call.value }
                await events.wait(for: "hang cancelled")
            }
        }
        await relay.stop()
        await front.close()
        await back.close()
    }

    /// Heartbeats carry the load and reach the hook; a peer that stops heartbeating loses its pipe, and a
    /// call waiting on it fails at once with peerLost (not at its timeout).
    @Test(arguments: [ConformanceTransport.inproc, .ipc, .tcp, .ws])
    func silentPeerLosesItsPipe(_ transport: ConformanceTransport) async throws {
        // The server heartbeats but judges nobody; the client gives it 100 ms × 10: quick, yet not so tight
        // that a loaded machine's late timers make a live peer look dead.
        let server = Talk(configuration: fastHeartbeats(.milliseconds(100), missed: 1000))
        var clientConfiguration = fastHeartbeats(.milliseconds(100), missed: 10)
        clientConfiguration.load = { 0.5 }
        let client = Talk(configuration: clientConfiguration)
        let events = Happenings()
        let loads = Locked<[Double]>([])
        server.onHeartbeat { beat in
            loads.withLock { $0.append(beat.load) }
            events.note(beat.isHello ? "hello" : "heartbeat")
        }
        client.onHeartbeat { beat in if beat.isHello { events.note("client heard hello") } }
        server.handle("hang") { _ in
            events.note("hanging")
            try await Task.sleep(for: .seconds(60))
            return []
        }
        try await connect(client, to: server, over: transport)
        try await withTimeout(20, "dead peer over \(transport)") {
            let serverRun = Task { try await server.run() }
            try await running([client]) {
                await events.wait(for: "client heard hello")
                await events.wait(for: "heartbeat")
                #expect(loads.withLock { $0.contains { abs($0 - 0.5) < 0.01 } })
                let call = Task {
                    try await client.call("hang", [], options: TalkCallOptions(timeout: .seconds(30)))
                }
                await events.wait(for: "hanging")
                // The server stops: no more heartbeats, no answers, but its socket stays open.
                serverRun.cancel()
                _ = await thrown { try await serverRun.value }
                let clock = ContinuousClock()
                let start = clock.now
                let error = await thrown { _ = try await call.value }
                #expect(talkCode(error) == .peerLost)
                #expect(clock.now - start < .seconds(20), "lost at once, not at the call's 30 s timeout")
                #expect(client.talkStatistics.deadPeers >= 1)
            }
        }
        await server.close()
    }

    /// The heartbeat hook is called at the same stack depth every time (a hook kept as a bare function in a
    /// generic lock was wrapped in one more re-abstraction thunk on each access).
    @Test func heartbeatHookStackStaysFlat() async throws {
        let server = Talk(configuration: fastHeartbeats(.milliseconds(10), missed: 1000))
        let client = Talk(configuration: fastHeartbeats(.milliseconds(10), missed: 1000))
        let depths = Locked<[Int]>([])
        let events = Happenings()
        client.onHeartbeat { _ in
            let count = depths.withLock { depths in
                depths.append(Thread.callStackSymbols.count)
                return depths.count
            }
            if count == 30 { events.note("30 beats") }
        }
        try await connect(client, to: server, over: .inproc)
        try await withTimeout(20, "heartbeats") {
            try await running([server, client]) { await events.wait(for: "30 beats") }
        }
        let seen = depths.withLock { $0 }
        #expect(seen[29] <= seen[1], "stack depth grew: \(seen)")
    }

    /// A peer of another Talk version is refused at its hello, with a clear error, and its pipe closed; a
    /// call answered with a version mismatch fails with versionMismatch.
    @Test func versionMismatchIsRefused() async throws {
        let server = Talk()
        let raw = Socket()
        try await Marry.connect(raw, to: server.socket, over: .tcp, label: "talk-version")
        try await withTimeout(20, "version mismatch") {
            try await running([server]) {
                let events = raw.events()
                try await raw.send(try TalkFrame(.hello, number: 1000, version: 2).encoded())
                let (refusal, _) = try await nextFrame(raw, .versionMismatch)
                #expect(refusal.payload == [TalkFrame.currentVersion])
                for await event in events {
                    if case .pipeRemoved = event { break }
                }
                #expect(server.talkStatistics.versionMismatches == 1)
            }
        }
        await raw.close()

        let client = Talk()
        let oldServer = Socket()
        try await Marry.connect(client.socket, to: oldServer, over: .tcp, label: "talk-version-2")
        try await withTimeout(20, "version mismatch answer") {
            try await running([client]) {
                let call = Task { try await client.call("anything", []) }
                let (request, message) = try await nextFrame(oldServer, .request)
                var answer = TalkFrame(.versionMismatch, id: request.id, flags: .fromHandler, payload: [2])
                answer.version = 2
                try await oldServer.sendTo(message.source, try answer.encoded())
                let error = await thrown { _ = try await call.value }
                #expect(talkCode(error) == .versionMismatch)
                #expect((error as? TalkError)?.message.contains("version 2") == true)
            }
        }
        await oldServer.close()
    }

    /// Malformed messages are dropped and counted, never a crash or a hang; the peer goes on answering.
    @Test func malformedInputIsCounted() async throws {
        let server = Talk()
        server.handle("echo") { $0.payload }
        let raw = Socket()
        try await Marry.connect(raw, to: server.socket, over: .tcp, label: "talk-malformed")
        let header: [UInt8] = [TalkFrame.magic, TalkFrame.currentVersion]
        let bad: [[UInt8]] = [
            [],                                            // empty
            [0x54, 1, 3],                                  // shorter than the header
            [0x00, 1, 3, 0, 0, 0, 0, 1, 0],                // wrong magic
            header + [99, 0, 0, 0, 0, 1],                  // unknown kind
            header + [3, 0, 0, 0, 0, 1, 200, 0x61],        // name longer than the bytes
            header + [3, 0, 0, 0, 0, 1, 2, 0xFF, 0xFE],    // name not UTF-8
            header + [8, 0, 0, 0, 0, 1, 0, 0],             // retry without its number
            header + [2, 0, 0, 0, 0, 0, 1],                // heartbeat without load and interval
        ]
        try await withTimeout(20, "malformed") {
            try await running([server]) {
                for message in bad { try await raw.send(message) }
                // Frames for calls and streams nobody knows are dropped as late.
                try await raw.send(try TalkFrame(.result, id: 77, flags: .fromHandler).encoded())
                try await raw.send(try TalkFrame(.credit, id: 78, number: 100).encoded())
                try await raw.send(try TalkFrame(.request, id: 5, name: "echo", payload: bytes("alive")).encoded())
                let (reply, _) = try await nextFrame(raw, .result)
                #expect(reply.id == 5 && text(reply.payload) == "alive")
                #expect(server.talkStatistics.malformedFrames == bad.count)
                #expect(server.talkStatistics.lateFrames == 2)
            }
        }
        await raw.close()
    }

    /// Frames encode to exactly the documented layout and decode back.
    @Test func frameLayout() throws {
        let frame = TalkFrame(.streamOpen, id: 0x01020304, flags: .requestComplete, name: "op", number: 65536,
                              payload: [9])
        let bytes = try frame.encoded()
        #expect(bytes == [0x54, 1, 9, 2, 1, 2, 3, 4, 2, 0x6F, 0x70, 0, 1, 0, 0, 9])
        #expect(TalkFrame.decode(bytes) == frame)
        let beat = TalkFrame(.heartbeat, number: 5000, load: 0x8000)
        #expect(try beat.encoded() == [0x54, 1, 2, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0x13, 0x88])
        #expect(TalkFrame.decode(try beat.encoded()) == beat)
        let long = TalkFrame(.request, name: String(repeating: "x", count: 256))
        #expect(throws: TalkError.self) { try long.encoded() }
    }
}
