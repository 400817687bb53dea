import Foundation
import MultiSocket
@_spi(Internals) import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// TLS with peers no one here wrote: Python's standard `ssl` module as client and as server speaking
/// multisocket frames, `openssl s_client` (Debian's `openssl`) against our listener, Python `websockets`
/// over wss, and a TLS 1.1 client refused. A missing python3, websockets or openssl fails the tests (CI
/// installs them).
@Suite(.timeLimit(.minutes(1)))
struct TLSInteropTests {
    private static func serverOptions(requireClientCertificate: Bool = false) -> SocketOptions {
        SocketOptions(connector: ConnectorOptions(endpoint: EndpointOptions(
            tls: TLSFixtures.server(requireClientCertificate: requireClientCertificate))))
    }

    /// An echo socket listening on `address`, answering each message along its path.
    private static func echoServer(_ address: String, requireClientCertificate: Bool = false)
        throws -> (Socket, Address, Task<Void, any Error>) {
        let server = Socket(options: serverOptions(requireClientCertificate: requireClientCertificate))
        let bound = try server.listen(address)
        let echo = Task {
            for try await message in server.messages { try await server.sendTo(message.source, message.content) }
        }
        return (server, bound, echo)
    }

    /// Python's `ssl` client, with a client certificate, talks multisocket frames to our mutual-TLS
    /// listener over TLS 1.3 and ends with close_notify.
    @Test func pythonTLSClientTalksToOurListener() async throws {
        let (server, bound, echo) = try Self.echoServer("tls+tcp://127.0.0.1:0", requireClientCertificate: true)
        let client = try Python.start("tls_peer.py", [
            "client", "\(bound.port!)", TLSFixtures.path("ca.pem"),
            TLSFixtures.path("client-a.pem"), TLSFixtures.path("client-a.key"),
        ])
        let result = await client.finish()
        #expect(result.status == 0, "tls_peer.py: \(result.errors)")
        #expect(result.output == "TLSv1.3\nOK\n")
        #expect(server.statistics.messagesReceived == 3)
        #expect(server.statistics.rejectedFrames == 0)
        await Marry.waitForPipesDown(server, to: 0)
        echo.cancel()
        await server.close()
    }

    /// Our dialer talks to a Python `ssl` echo server: every size comes back intact.
    @Test func ourDialerTalksToAPythonTLSServer() async throws {
        let python = try Python.start("tls_peer.py", ["server", TLSFixtures.path("server.pem"),
                                                      TLSFixtures.path("server.key")])
        let line = await python.firstLine()
        guard let port = UInt16(line) else {
            let result = await python.finish()
            Issue.record("tls_peer.py printed '\(line)', not a port: \(result.errors)")
            return
        }
        let client = Socket(options: SocketOptions(connector: ConnectorOptions(endpoint: EndpointOptions(
            tls: TLSFixtures.client()))))
        try await client.dial("tls+tcp://127.0.0.1:\(port)")
        var random = FastRandom(seed: 11)
        for size in [0, 5, 16_384, 100_000] {
            let content = random.bytes(size)
            try await client.send(content)
            let echoed = try await withTimeout(10, "the echo of \(size) bytes") { try await client.receive() }
            #expect(sameBytes(echoed.content, content), "\(size) bytes")
            #expect(echoed.hops == 1)
        }
        #expect(client.statistics.rejectedFrames == 0)
        await client.close()
        await python.stop()
    }

    /// `openssl s_client` verifies our listener's chain against the test CA and negotiates TLS 1.3, with
    /// our listener's choice of suite (AES-128-GCM, the fastest with AES instructions) over the client's
    /// own first choice (AES-256-GCM).
    @Test func opensslClientVerifiesOurListener() async throws {
        let (server, bound, echo) = try Self.echoServer("tls+tcp://127.0.0.1:0")
        let result = try await Tool.run("openssl", [
            "s_client", "-connect", "127.0.0.1:\(bound.port!)", "-servername", "localhost",
            "-CAfile", TLSFixtures.path("ca.pem"), "-verify_return_error", "-brief",
        ])
        #expect(result.status == 0, "openssl s_client: \(result.errors)")
        let printed = result.output + result.errors
        #expect(printed.contains("Protocol version: TLSv1.3"), "\(printed)")
        #expect(printed.contains("Ciphersuite: TLS_AES_128_GCM_SHA256"), "\(printed)")
        #expect(printed.contains("Verification: OK"), "\(printed)")
        #expect(printed.contains("Peer certificate: ") && printed.contains("CN = localhost"), "\(printed)")
        echo.cancel()
        await server.close()
    }

    /// Our raw dialer, with a client certificate, against `openssl s_server` requiring one: each side
    /// verifies the other, bytes go both ways, and our close ends its session in order.
    @Test func ourDialerTalksToOpensslServer() async throws {
        let server = Python.Running(child: try ChildProcess("openssl", [
            "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
            "-cert", TLSFixtures.path("server.pem"), "-key", TLSFixtures.path("server.key"),
            "-Verify", "1", "-CAfile", TLSFixtures.path("ca.pem"),
        ], input: .pipe))
        // It prints "ACCEPT 127.0.0.1:<port>" once it listens.
        let output = server.child.output
        let accepting = try await withTimeout(20, "openssl s_server to listen") { () -> String? in
            while let line = try await output.line() {
                if line.hasPrefix("ACCEPT ") { return line }
            }
            return nil
        }
        guard let line = accepting, let port = line.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            Issue.record("openssl s_server printed '\(output.receivedText)'")
            return
        }
        let client = Socket(options: SocketOptions(connector: ConnectorOptions(endpoint: EndpointOptions(
            reconnect: false, raw: true, tls: TLSFixtures.client("client-a")))))
        let events = client.events()
        try await client.dial("tls+tcp://127.0.0.1:\(port)")
        let pipe = try await Await.event(events, "the pipe") { event -> MessagePipe? in
            if case .pipeAdded(let pipe) = event { return pipe }
            return nil
        }
        #expect(pipe.peerCertificate?.commonName == "localhost")
        let connected = try await client.receive()
        #expect(connected.kind == .connected)
        try await client.sendTo(connected.source, Array("hello from multisocket\n".utf8))
        try await server.child.write(Array("hello from s_server\n".utf8))
        var received: [UInt8] = []
        while !received.contains(UInt8(ascii: "\n")) {
            received += try await withTimeout(10, "s_server's line") { try await client.receive() }.content
        }
        #expect(received == Array("hello from s_server\n".utf8))
        await client.close()
        let result = await server.finish()
        #expect(result.output.contains("hello from multisocket"), "\(result.output)")
        #expect(result.output.contains("subject=O = MultiSocket Test, CN = client-a"), "\(result.output)")
        #expect(result.errors.contains("verify return:1"), "\(result.errors)")
    }

    /// A client offering only TLS 1.1 is refused, and the listener counts it and goes on serving.
    @Test func tls11ClientIsRefused() async throws {
        let (rejections, sink) = AsyncStream.makeStream(of: MultiSocketError.self)
        let listener = try TLSTransport.listenStreams(
            Address("tls+tcp://127.0.0.1:0"), options: PipeOptions(endpoint: EndpointOptions(tls: TLSFixtures.server())),
            reactor: ReactorGroup.default.next(), rejected: { _, error in sink.yield(error) }
        ) { stream, _ in stream.close(sendingFirst: []) }
        let client = try Python.start("tls_peer.py", ["tls11", "\(listener.address.port!)"])
        let result = await client.finish()
        #expect(result.status == 0, "tls_peer.py: \(result.errors)")
        #expect(result.output.hasPrefix("REFUSED"), "\(result.output)")
        var iterator = rejections.makeAsyncIterator()
        let rejection = try #require(await iterator.next())
        #expect(rejection.context.contains("unsupported protocol"), "\(rejection)")
        #expect(listener.rejectedHandshakes == 1)
        await listener.close()
    }

    /// Python `websockets` with an `ssl` context talks multisocket frames to our wss listener.
    @Test func pythonWebSocketsOverWSS() async throws {
        guard await Python.requireWebSockets() else { return }
        let (server, bound, echo) = try Self.echoServer("wss://127.0.0.1:0/interop")
        let client = try Python.start("ws_client.py", ["\(bound.endpoint)", TLSFixtures.path("ca.pem")])
        let result = await client.finish()
        #expect(result.status == 0, "ws_client.py: \(result.errors)")
        #expect(result.output == "OK\n")
        #expect(server.statistics.messagesReceived == 3)
        await Marry.waitForPipesDown(server, to: 0)
        echo.cancel()
        await server.close()
    }
}

/// Runs a command-line tool to its end with standard input closed.
enum Tool {
    static func run(_ name: String, _ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let tool = try ChildProcess(name, arguments)
        let result = try await tool.finish()
        return (result.termination.status, result.output, result.errors)
    }
}
