import Glibc
import MultiSocket
@_spi(Internals) import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// TLS through the socket: authorizing peers by certificate in `pipeVeto`, what a first dial throws for each
/// kind of failure, raw pipes telling close_notify from truncation, and a missing OpenSSL leaving the other
/// transports alone.
@Suite(.timeLimit(.minutes(1)))
struct TLSSocketTests {
    private static func options(_ tls: TLSConfiguration, reconnect: Bool = true,
                                veto: (@Sendable (MessagePipe) -> String?)? = nil) -> SocketOptions {
        SocketOptions(connector: ConnectorOptions(endpoint: EndpointOptions(reconnect: reconnect, tls: tls)),
                      pipeVeto: veto)
    }

    /// Mutual TLS with two client certificates: the veto sees each verified certificate, admits client-a
    /// and refuses client-b; each pipe exposes its peer's identity.
    @Test(arguments: ["tls+tcp://127.0.0.1:0", "wss://127.0.0.1:0/veto"])
    func pipeVetoAuthorizesByCertificate(address: String) async throws {
        let server = Socket(options: Self.options(TLSFixtures.server(requireClientCertificate: true)) { pipe in
            guard let certificate = pipe.peerCertificate else { return "no certificate" }
            return certificate.commonName == "client-a" ? nil : "\(certificate.subject) is not allowed"
        })
        let events = server.events()
        let bound = try server.listen(address)
        let admitted = Socket(options: Self.options(TLSFixtures.client("client-a")))
        let admittedEvents = admitted.events()
        try await admitted.dial("\(bound)")
        let serverPipe = try await Await.event(events, "client-a's pipe") { event -> MessagePipe? in
            if case .pipeAdded(let pipe) = event { return pipe }
            return nil
        }
        #expect(serverPipe.peerCertificate?.subjectAlternativeNames == ["DNS:client-a.test", "email:a@multisocket.test"])
        let clientPipe = try await Await.event(admittedEvents, "the server's pipe") { event -> MessagePipe? in
            if case .pipeAdded(let pipe) = event { return pipe }
            return nil
        }
        #expect(clientPipe.peerCertificate?.subject == "CN=localhost,O=MultiSocket Test")
        try await admitted.send(Array("from a".utf8))
        #expect(try await withTimeout(10, "client-a's message") { try await server.receive() }.content
                == Array("from a".utf8))

        let refused = Socket(options: Self.options(TLSFixtures.client("client-b"), reconnect: false))
        try await refused.dial("\(bound)")
        let reason = try await Await.event(events, "client-b refused") { event -> String? in
            if case .pipeRefused(let pipe, let reason) = event, pipe.peerCertificate?.commonName == "client-b" {
                return reason
            }
            return nil
        }
        #expect(reason.contains("CN=client-b,O=MultiSocket Test is not allowed"))
        #expect(server.statistics.pipes == 1)
        await refused.close()
        await admitted.close()
        await server.close()
    }

    /// The first dial throws a typed error saying what failed.
    @Test func firstDialThrowsWhy() async throws {
        let server = Socket(options: Self.options(TLSFixtures.server("expired-server")))
        let bound = try server.listen("tls+tcp://127.0.0.1:0")
        let client = Socket(options: Self.options(TLSFixtures.client(), reconnect: false))
        do {
            try await client.dial("\(bound)")
            Issue.record("the dial succeeded")
        } catch let error as MultiSocketError {
            #expect(error.code == .protocolMismatch)
            #expect(error.context.contains("certificate verify failed: certificate has expired"), "\(error)")
        }
        // An untrusted root, named by the query.
        do {
            try await client.dial("tls+tcp://127.0.0.1:\(bound.port!)?tlsCAFile=\(TLSFixtures.path("other-ca.pem"))")
            Issue.record("the dial succeeded")
        } catch let error as MultiSocketError {
            #expect(error.context.contains("certificate verify failed: unable to get local issuer certificate"))
        }
        // Without verification (tests only) the same server is accepted.
        try await client.dial("tls+tcp://127.0.0.1:\(bound.port!)?tlsVerify=false")
        await client.close()
        await server.close()
    }

    /// A TLS dialer meeting a plain multisocket listener fails its dial instead of hanging: the listener
    /// rejects the ClientHello as a bad frame and closes.
    @Test func tlsDialerOnAPlainListenerFails() async throws {
        let server = Socket()
        let bound = try server.listen("tcp://127.0.0.1:0")
        let client = Socket(options: Self.options(TLSFixtures.client(), reconnect: false))
        do {
            try await client.dial("tls+tcp://127.0.0.1:\(bound.port!)?tlsHandshakeTimeout=5s")
            Issue.record("the dial succeeded")
        } catch let error as MultiSocketError {
            #expect(error.code == .protocolMismatch, "\(error)")
            #expect(error.context.contains("closed the connection during the TLS handshake"), "\(error)")
        }
        await client.close()
        await server.close()
    }

    /// A raw pipe over TLS: a peer ending with close_notify gives the end-of-stream message; one whose
    /// socket just ends (truncation) closes the pipe without it.
    @Test(arguments: [true, false])
    func rawPipeTellsCloseNotifyFromTruncation(closeNotify: Bool) async throws {
        let server = Socket()
        let events = server.events()
        let bound = try server.listen(ConformanceTransport.tls.uniqueAddress() + "&raw=true")
        let address = try Address("tls+tcp://127.0.0.1:\(bound.port!)")
        func connect() async throws -> TLSStream {
            // Handed over through a lock the thread sanitizer sees (it cannot see a continuation's resume).
            let handOver = Locked<Result<TLSStream, MultiSocketError>?>(nil)
            await withCheckedContinuation { continuation in
                TLSTransport.connectStream(address, options: PipeOptions(endpoint: EndpointOptions(
                    tls: TLSFixtures.client())), reactor: ReactorGroup.default.next()) { result in
                    handOver.withLock { $0 = result.map(\.stream) }
                    continuation.resume()
                }
            }
            return try handOver.withLock { $0! }.get()
        }
        let stream = try await connect()
        #expect(try await server.receive().kind == .connected)
        Array("hello".utf8).withUnsafeBytes { bytes in
            var segment = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), iov_len: bytes.count)
            _ = withUnsafePointer(to: &segment) { stream.write(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        #expect(try await withTimeout(10, "hello") { try await server.receive() }.content == Array("hello".utf8))
        if closeNotify {
            stream.shutdownWrite()
            #expect(try await withTimeout(10, "the end") { try await server.receive() }.kind == .endOfStream)
        } else {
            shutdown(stream.descriptor, Int32(SHUT_WR))
            _ = try await Await.event(events, "the pipe closing") { event -> Bool? in
                if case .pipeRemoved = event { return true }
                return nil
            }
            // An end of stream would be queued before the pipe went; the next message is a new peer's.
            let next = try await connect()
            #expect(try await withTimeout(10, "the next peer") { try await server.receive() }.kind == .connected,
                    "a truncated stream delivered an end of stream")
            next.close(sendingFirst: [])
        }
        stream.close(sendingFirst: [])
        await server.close()
    }

    /// Without OpenSSL a TLS scheme's dial and listen throw what to install; tcp works as before.
    @Test func missingOpenSSLLeavesOtherTransportsAlone() async throws {
        Transports.register(TLSTCPTransport(scheme: "tls-missing-test") {
            OpenSSL.load(ssl: "libssl-missing-for-a-test.so.3")
        })
        let socket = Socket(options: Self.options(TLSFixtures.server(), reconnect: false))
        for attempt in ["listen", "dial"] {
            do {
                if attempt == "listen" {
                    _ = try socket.listen("tls-missing-test://127.0.0.1:0")
                } else {
                    try await socket.dial("tls-missing-test://127.0.0.1:1")
                }
                Issue.record("\(attempt) succeeded")
            } catch let error as MultiSocketError {
                #expect(error.code == .notSupported)
                #expect(error.context.contains("apt-get install libssl3"), "\(error)")
            }
        }
        let peer = Socket()
        try await Marry.connect(socket, to: peer, over: .tcp)
        try await socket.send(Array("still fine".utf8))
        #expect(try await withTimeout(10, "tcp message") { try await peer.receive() }.content == Array("still fine".utf8))
        await socket.close()
        await peer.close()
    }
}
