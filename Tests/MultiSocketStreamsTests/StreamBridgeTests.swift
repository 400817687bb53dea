import Foundation
@_spi(Internals) import MultiSocketStreams
import MultiSocketTestSupport
import Testing

/// The bridges: a stream proxy (front endpoint ↔ back endpoint), and plain TCP clients reaching a stream
/// server through a raw listener, a stream endpoint and a switch.
@Suite(.timeLimit(.minutes(3)))
struct StreamBridgeTests {
    /// Serves `listener`: every stream is answered with its bytes upper-cased, then half-closed.
    static func upperCaseServer(_ listener: StreamListener) -> Task<Void, Never> {
        Task {
            await withDiscardingTaskGroup { group in
                while let stream = try? await listener.accept() {
                    group.addTask {
                        do {
                            for try await chunk in stream.chunks {
                                try await stream.write(chunk.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 })
                            }
                            try await stream.closeWrite()
                        } catch {}
                        await stream.close()
                    }
                }
            }
        }
    }

    @Test(arguments: [ConformanceTransport.inproc, .tcp, .ws])
    func proxyCarriesBytesAndHalfCloses(over transport: ConformanceTransport) async throws {
        // client → (front endpoint, proxy, back endpoint) → server
        let front = try await StreamLink.make(transport, label: "pf")
        let back = try await StreamLink.make(transport, label: "pb")
        let service = Self.upperCaseServer(try back.server.listen("svc"))
        let proxy = StreamProxy(front: try front.server.listen("entry"), back: back.client, name: "svc")
        let proxyTask = Task { await proxy.run() }
        var random = FastRandom()
        let text = (0..<300_000).map { _ in UInt8(97 + random.next() % 26) }
        let seed = random.next()
        try await withTimeout(60, "through the proxy") {
            for _ in 0..<3 {
                let stream = try await front.client.connect("entry", timeout: .seconds(20))
                async let sent: Void = writeRandomly(stream, text, seed: seed)
                let answer = try await readRandomly(stream, seed: 9)
                try await sent
                #expect(sameBytes(answer, text.map { $0 - 32 }))
                await stream.close()
            }
            // A proxy whose onward connect is refused closes the front stream.
            let orphanProxy = StreamProxy(front: try front.server.listen("nowhere"), back: back.client, name: "none")
            let orphanTask = Task { await orphanProxy.run() }
            let orphan = try await front.client.connect("nowhere", timeout: .seconds(20))
            #expect(try await orphan.read(upToCount: 1) == nil)
            orphanTask.cancel()
            await orphan.close()
        }
        proxyTask.cancel()
        service.cancel()
        for link in [front, back] {
            try await withTimeout(20, "tables empty") {
                await eventually { link.client.tableCounts.streams == 0 && link.server.tableCounts.streams == 0 }
            }
            await link.finish(expectEmpty: false)
        }
        await proxyTask.value
        await service.value
    }

    /// plain TCP client → raw listener of the bridge's raw socket → the bridge's stream socket → switch →
    /// stream server. The raw side has a socket of its own (see ``StreamEndpoint/listenRaw()``).
    struct Bridge {
        let server: Socket
        let serverEndpoint: StreamEndpoint
        let hub: Switch
        let hubSockets: [Socket]
        let bridge: Socket
        let bridgeEndpoint: StreamEndpoint
        let raw: Socket
        let rawEndpoint: StreamEndpoint
        let rawAddress: Address
        let tasks: [Task<Void, Never>]

        static func make() async throws -> Bridge {
            let server = Socket()
            let serverAddress = try server.listen(ConformanceTransport.tcp.uniqueAddress())
            let back = Socket()
            try await back.dial("\(serverAddress)")
            let front = Socket()
            let frontAddress = try front.listen(ConformanceTransport.tcp.uniqueAddress())
            let hub = Switch(back: back, front: front).start()
            let bridge = Socket()
            try await bridge.dial("\(frontAddress)")
            try await bridge.waitForPeers(1, timeout: .seconds(20))
            let raw = Socket()
            let rawAddress = try raw.listen("tcp://127.0.0.1:0", options: EndpointOptions(raw: true))
            let serverEndpoint = StreamEndpoint(socket: server)
            let bridgeEndpoint = StreamEndpoint(socket: bridge)
            let rawEndpoint = StreamEndpoint(socket: raw)
            let service = upperCaseServer(try serverEndpoint.listen("svc"))
            let proxy = StreamProxy(front: try rawEndpoint.listenRaw(), back: bridgeEndpoint, name: "svc")
            let proxyTask = Task { await proxy.run() }
            return Bridge(server: server, serverEndpoint: serverEndpoint, hub: hub, hubSockets: [back, front],
                          bridge: bridge, bridgeEndpoint: bridgeEndpoint, raw: raw, rawEndpoint: rawEndpoint,
                          rawAddress: rawAddress, tasks: [service, proxyTask])
        }

        func close() async {
            for task in tasks { task.cancel() }
            await rawEndpoint.close()
            await bridgeEndpoint.close()
            await serverEndpoint.close()
            for task in tasks { await task.value }
            await hub.stop()
            for socket in [raw, bridge] + hubSockets + [server] { await socket.close() }
        }
    }

    @Test func plainClientReachesStreamServerThroughSwitch() async throws {
        let bridge = try await Bridge.make()
        try await withTimeout(60, "a plain TCP client through the bridge") {
            for round in 0..<3 {
                let client = try PlainClient(bridge.rawAddress)
                let text = Array(String(repeating: "hello bridge \(round)\n", count: 60_000).utf8)
                // A raw pipe closes at its peer's end of stream (the Connector's raw rule), so the client
                // reads the whole answer before it closes, rather than half-closing first.
                async let answer = client.read(count: text.count)
                try client.write(text)
                #expect(sameBytes(await answer, Array(String(decoding: text, as: UTF8.self).uppercased().utf8)))
                client.close()
            }
            await eventually {
                bridge.bridgeEndpoint.tableCounts == (0, 0, 0) && bridge.rawEndpoint.tableCounts == (0, 0, 0)
                    && bridge.serverEndpoint.tableCounts == (0, 0, 0)
            }
        }
        await bridge.close()
    }

    /// The same with Python's `socket` module as the client, in a child process.
    @Test func pythonClientReachesStreamServer() async throws {
        let bridge = try await Bridge.make()
        let script = """
        import socket, sys, threading
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        data = b"".join(b"line %d of the python client\\n" % i for i in range(20000))
        writer = threading.Thread(target=s.sendall, args=(data,))
        writer.start()
        got = bytearray()
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        writer.join()
        s.close()
        print("ok" if bytes(got) == data.upper() else "mismatch %d %d" % (len(got), len(data)))
        """
        let python: ChildProcess
        do {
            python = try ChildProcess("python3", ["-c", script, "\(bridge.rawAddress.port ?? 0)"], errors: .inherit)
        } catch {
            Issue.record("python3 is required for this test (apt-get install python3): \(error)")
            await bridge.close()
            return
        }
        let (printed, termination) = try await withTimeout(60, "the python client") {
            (try await python.output.text(), try await python.waitUntilExit())
        }
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        #expect(termination == .exited(0))
        try await withTimeout(20, "tables empty") {
            await eventually {
                bridge.bridgeEndpoint.tableCounts == (0, 0, 0) && bridge.rawEndpoint.tableCounts == (0, 0, 0)
                    && bridge.serverEndpoint.tableCounts == (0, 0, 0)
            }
        }
        await bridge.close()
    }
}
