import Glibc
@_spi(Internals) @testable import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// A TLS listener for one test, the streams it accepts and the errors of the connections it rejects.
private struct TLSServer: Sendable {
    let listener: TLSListener
    let accepted: AsyncStream<TLSStream>
    let rejections: AsyncStream<MultiSocketError>

    init(_ configuration: TLSConfiguration) throws {
        let (accepted, acceptedSink) = AsyncStream.makeStream(of: TLSStream.self)
        let (rejections, rejectionSink) = AsyncStream.makeStream(of: MultiSocketError.self)
        listener = try TLSTransport.listenStreams(
            Address("tls+tcp://127.0.0.1:0"), options: PipeOptions(endpoint: EndpointOptions(tls: configuration)),
            reactor: streamTestReactor, rejected: { _, error in rejectionSink.yield(error) }
        ) { stream, _ in acceptedSink.yield(stream) }
        self.accepted = accepted
        self.rejections = rejections
    }

    var port: UInt16 { listener.address.port! }

    /// The next rejected connection's error.
    func nextRejection() async -> MultiSocketError? {
        var iterator = rejections.makeAsyncIterator()
        return await iterator.next()
    }

    /// The next accepted stream.
    func nextAccepted() async -> TLSStream? {
        var iterator = accepted.makeAsyncIterator()
        return await iterator.next()
    }
}

/// Connects a TLS stream to 127.0.0.1:`port` with `configuration`.
private func connect(_ port: UInt16, _ configuration: TLSConfiguration,
                     library: @escaping TLSTransport.Library = TLSTransport.system) async throws -> Result<TLSStream, MultiSocketError> {
    let address = try Address("tls+tcp://127.0.0.1:\(port)")
    // Handed over through a lock the thread sanitizer sees (it cannot see a continuation's resume).
    let handOver = Locked<Result<TLSStream, MultiSocketError>?>(nil)
    await withCheckedContinuation { continuation in
        TLSTransport.connectStream(address, options: PipeOptions(endpoint: EndpointOptions(tls: configuration)),
                                   reactor: streamTestReactor, library: library) { result in
            handOver.withLock { $0 = result.map(\.stream) }
            continuation.resume()
        }
    }
    return handOver.withLock { $0! }
}

/// What a stream gave until it ended, and how it ended.
private typealias Reading = (bytes: [UInt8], end: ByteStreamRead)

/// Reads from `stream` (registered nowhere) until it ends or fails, waiting for the socket with `poll` on a
/// thread of its own (never the cooperative pool's); returns what arrived and how it ended.
private func readToEnd(_ stream: TLSStream) async -> Reading {
    await offloaded { blockingReadToEnd(stream) }
}

private func blockingReadToEnd(_ stream: TLSStream) -> Reading {
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 8192)
    while true {
        let result = chunk.withUnsafeMutableBytes { stream.read(into: $0) }
        switch result {
        case .bytes(let count): received += chunk[..<count]
        case .wouldBlock:
            var waiting = pollfd(fd: stream.descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&waiting, 1, 1000)
        case .end, .failed: return (received, result)
        }
    }
}

/// Writes all of `bytes` through `stream` as one segment, waiting for the socket with `poll` on a thread of
/// its own.
private func writeAll(_ stream: TLSStream, _ bytes: [UInt8]) async {
    await offloaded { blockingWriteAll(stream, bytes) }
}

private func blockingWriteAll(_ stream: TLSStream, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let result = bytes.withUnsafeBytes { buffer -> ByteStreamWrite in
            var segment = iovec(iov_base: UnsafeMutableRawPointer(mutating: buffer.baseAddress! + offset),
                                iov_len: buffer.count - offset)
            return withUnsafePointer(to: &segment) { stream.write(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        switch result {
        case .wrote(let count): offset += count
        case .wouldBlock:
            var waiting = pollfd(fd: stream.descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&waiting, 1, 1000)
        case .failed(let error):
            Issue.record("write failed: \(error)")
            return
        }
    }
}

/// The TLS byte stream, its handshake and listener, checked directly: identities, every kind of bad peer
/// (each a typed error or a counted rejection, with the listener serving the next client), close_notify
/// versus truncation, ALPN, PEM bytes, and a missing OpenSSL.
@Suite(.timeLimit(.minutes(1)))
struct TLSTransportTests {
    /// Mutual TLS 1.3: each side sees the other's verified subject and alternative names.
    @Test func mutualHandshakeGivesBothIdentities() async throws {
        let server = try TLSServer(TLSFixtures.server(requireClientCertificate: true))
        defer { Task { await server.listener.close() } }
        let client = try await connect(server.port, TLSFixtures.client("client-a")).get()
        let accepted = try #require(await server.nextAccepted())
        #expect(client.protocolVersion == "TLSv1.3")
        #expect(accepted.protocolVersion == "TLSv1.3")
        let serverIdentity = try #require(client.peerCertificate)
        #expect(serverIdentity.subject == "CN=localhost,O=MultiSocket Test")
        #expect(serverIdentity.subjectAlternativeNames == ["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
        let clientIdentity = try #require(accepted.peerCertificate)
        #expect(clientIdentity.commonName == "client-a")
        #expect(clientIdentity.subjectAlternativeNames == ["DNS:client-a.test", "email:a@multisocket.test"])
        client.close(sendingFirst: [])
        accepted.close(sendingFirst: [])
    }

    /// A certificate that fails verification fails the dial with `protocolMismatch` saying why; the
    /// listener counts the connection (the client's alert ends it) and keeps serving.
    @Test(arguments: [
        ("untrusted-server", "ca.pem", nil, "unable to get local issuer certificate"),
        ("server", "other-ca.pem", nil, "unable to get local issuer certificate"),
        ("wrong-host", "ca.pem", nil, "IP address mismatch"),
        ("wrong-host", "ca.pem", "localhost", "hostname mismatch"),
        ("expired-server", "ca.pem", nil, "certificate has expired"),
    ] as [(String, String, String?, String)])
    func unverifiableServerFailsTheDial(certificate: String, roots: String, name: String?, reason: String) async throws {
        let server = try TLSServer(TLSFixtures.server(certificate))
        defer { Task { await server.listener.close() } }
        let result = try await connect(server.port, TLSFixtures.client(roots: roots, serverName: name))
        guard case .failure(let error) = result else {
            Issue.record("the dial succeeded")
            return
        }
        #expect(error.code == .protocolMismatch)
        #expect(error.context.contains("certificate verify failed"), "\(error)")
        #expect(error.context.lowercased().contains(reason.lowercased()), "\(error)")
        #expect(await server.nextRejection() != nil)
        // Still serving.
        let good = try await connect(server.port, TLSFixtures.client(serverName: "wrong.example"))
        if certificate == "wrong-host" { #expect((try? good.get()) != nil) }
        try? good.get().close(sendingFirst: [])
    }

    /// `serverName` replaces the dialed host in SNI and the check.
    @Test func serverNameOverridesTheHost() async throws {
        let server = try TLSServer(TLSFixtures.server("wrong-host"))
        defer { Task { await server.listener.close() } }
        let client = try await connect(server.port, TLSFixtures.client(serverName: "wrong.example")).get()
        #expect(client.peerCertificate?.commonName == "wrong.example")
        client.close(sendingFirst: [])
    }

    /// A mutual-TLS listener refuses a client without a certificate, or with one from an untrusted CA; the
    /// client reads the alert as a security failure.
    @Test(arguments: [nil, "untrusted-client"] as [String?])
    func mutualListenerRefusesAClientWithoutAValidCertificate(certificate: String?) async throws {
        let server = try TLSServer(TLSFixtures.server(requireClientCertificate: true))
        defer { Task { await server.listener.close() } }
        // In TLS 1.3 the client finishes first; the server's verdict comes as an alert after.
        switch try await connect(server.port, TLSFixtures.client(certificate)) {
        case .success(let client):
            let (bytes, end) = await readToEnd(client)
            #expect(bytes.isEmpty)
            guard case .failed(.security(let reason)) = end else {
                Issue.record("the client read \(end), not an alert")
                return
            }
            #expect(reason.contains("alert"), "\(reason)")
            client.close(sendingFirst: [])
        case .failure(let error):
            #expect(error.code == .protocolMismatch)
        }
        let rejection = try #require(await server.nextRejection())
        #expect(rejection.code == .protocolMismatch)
        let expected = certificate == nil ? "did not return a certificate" : "certificate verify failed"
        #expect(rejection.context.contains(expected), "\(rejection)")
        #expect(server.listener.rejectedHandshakes == 1)
        let good = try await connect(server.port, TLSFixtures.client("client-b")).get()
        #expect(await server.nextAccepted()?.peerCertificate?.commonName == "client-b")
        good.close(sendingFirst: [])
    }

    /// Garbage, an HTTP request and a plain multisocket frame instead of a ClientHello: each connection is
    /// rejected and closed, and the listener serves the next client.
    @Test(arguments: [
        Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        [0, 16, 0, 0, 0, 0, 0, 5] + Array("hello".utf8),
        [UInt8](repeating: 0x16, count: 64),
    ])
    func nonTLSClientIsRejected(bytes: [UInt8]) async throws {
        let server = try TLSServer(TLSFixtures.server())
        defer { Task { await server.listener.close() } }
        let plain = try PlainClient(port: server.port)
        try plain.write(bytes)
        let rejection = try #require(await server.nextRejection())
        #expect(rejection.code == .protocolMismatch, "\(rejection)")
        #expect(await plain.readUntilClosed().isClosed)
        let good = try await connect(server.port, TLSFixtures.client()).get()
        good.close(sendingFirst: [])
        #expect(server.listener.rejectedHandshakes == 1)
    }

    /// A client that stops halfway through its ClientHello is dropped at the handshake timeout.
    @Test func stalledHandshakeIsDroppedAtTheTimeout() async throws {
        let server = try TLSServer(TLSFixtures.server(handshakeTimeout: .milliseconds(300)))
        defer { Task { await server.listener.close() } }
        let plain = try PlainClient(port: server.port)
        try plain.write([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])  // A record header and 2 bytes of hello.
        let started = ContinuousClock.now
        let rejection = try #require(await server.nextRejection())
        #expect(rejection.code == .timedOut, "\(rejection)")
        // Dropped at the deadline, not left open (the test's time limit would end it otherwise).
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(await plain.readUntilClosed().isClosed)
        let good = try await connect(server.port, TLSFixtures.client()).get()
        good.close(sendingFirst: [])
    }

    /// A TLS dialer whose server never answers times out with the configured deadline.
    @Test func silentServerTimesTheDialOut() async throws {
        let silent = try PlainListener()
        var configuration = TLSFixtures.client()
        configuration.handshakeTimeout = .milliseconds(300)
        let result = try await connect(silent.port, configuration)
        guard case .failure(let error) = result else {
            Issue.record("the dial succeeded")
            return
        }
        #expect(error.code == .timedOut, "\(error)")
    }

    /// close_notify ends the stream in order (`end`); a socket that ends without it is `truncated`.
    @Test(arguments: [true, false])
    func endWithAndWithoutCloseNotify(closeNotify: Bool) async throws {
        let server = try TLSServer(TLSFixtures.server())
        defer { Task { await server.listener.close() } }
        let client = try await connect(server.port, TLSFixtures.client()).get()
        let accepted = try #require(await server.nextAccepted())
        let payload = Array(repeating: Array("0123456789".utf8), count: 10_000).flatMap { $0 }
        await writeAll(client, payload)
        if closeNotify {
            client.shutdownWrite()
        } else {
            shutdown(client.descriptor, Int32(SHUT_WR))
        }
        let (bytes, end) = await readToEnd(accepted)
        #expect(bytes == payload)
        #expect(end == (closeNotify ? .end : .failed(.truncated)))
        client.close(sendingFirst: [])
        accepted.close(sendingFirst: [])
    }

    /// One read decrypts as many records as the buffer has room for (not one record per call), and a
    /// buffer smaller than a record takes the rest in later reads.
    @Test func oneReadTakesSeveralRecords() async throws {
        let server = try TLSServer(TLSFixtures.server())
        defer { Task { await server.listener.close() } }
        let client = try await connect(server.port, TLSFixtures.client()).get()
        let accepted = try #require(await server.nextAccepted())
        var random = FastRandom(seed: 21)
        let payload = random.bytes(100_000)
        await writeAll(client, payload)
        // Every record is in the receiving socket before the read (loopback: a few milliseconds at most).
        try await withTimeout(10, "the records reach the socket") {
            while accepted.unreadByteCount() < payload.count { try await Task.sleep(for: .milliseconds(1)) }
        }
        var buffer = [UInt8](repeating: 0, count: 200_000)
        let first = buffer.withUnsafeMutableBytes { accepted.read(into: $0) }
        guard case .bytes(let count) = first else {
            Issue.record("expected bytes, got \(first)")
            return
        }
        #expect(count == payload.count)
        #expect(Array(buffer[..<count]) == payload)
        await writeAll(client, payload)
        client.shutdownWrite()
        // 8 KiB reads: each smaller than a record, so OpenSSL keeps the rest of one between them.
        let (bytes, end) = await readToEnd(accepted)
        #expect(bytes == payload)
        #expect(end == .end)
        client.close(sendingFirst: [])
        accepted.close(sendingFirst: [])
    }

    /// Gathered writes go out in order, each segment encrypted from where it lies, and records the socket
    /// could not take at once still leave before the last byte counts as written.
    @Test func gatheredWriteKeepsOrder() async throws {
        let server = try TLSServer(TLSFixtures.server())
        defer { Task { await server.listener.close() } }
        let client = try await connect(server.port, TLSFixtures.client()).get()
        let accepted = try #require(await server.nextAccepted())
        // A small send buffer and no reader at first: the stream must hold records back.
        var small: Int32 = 16384
        setsockopt(client.descriptor, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var random = FastRandom(seed: 13)
        let parts = [random.bytes(7), random.bytes(300_000), random.bytes(1), random.bytes(70_000)]
        let whole = parts.flatMap { $0 }
        // The writing blocks in `poll`: on a thread of its own. The reader starts once the socket is full.
        let (reader, failure) = await offloaded { () -> (Task<Reading, Never>?, String?) in
            var reader: Task<Reading, Never>?
            var offset = 0
            while offset < whole.count {
                // Offer the rest as the original segments, starting mid-segment as a link does.
                let result = parts[0].withUnsafeBytes { a in parts[1].withUnsafeBytes { b in
                    parts[2].withUnsafeBytes { c in parts[3].withUnsafeBytes { d -> ByteStreamWrite in
                        var segments: [iovec] = []
                        var position = 0
                        for part in [a, b, c, d] {
                            let end = position + part.count
                            if end > offset {
                                let skip = max(0, offset - position)
                                segments.append(iovec(
                                    iov_base: UnsafeMutableRawPointer(mutating: part.baseAddress! + skip),
                                    iov_len: part.count - skip))
                            }
                            position = end
                        }
                        return segments.withUnsafeBufferPointer { client.write($0) }
                    } }
                } }
                switch result {
                case .wrote(let count): offset += count
                case .wouldBlock:
                    if reader == nil { reader = Task.detached { await readToEnd(accepted) } }
                    var waiting = pollfd(fd: client.descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&waiting, 1, 1000)
                case .failed(let error):
                    return (reader, "\(error)")
                }
            }
            return (reader, nil)
        }
        #expect(failure == nil)
        // The socket may be full again after the last write: close_notify then leaves with a later flush,
        // here a second shutdown once the socket has room.
        client.shutdownWrite()
        await offloaded {
            var waiting = pollfd(fd: client.descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&waiting, 1, 5000)
        }
        client.shutdownWrite()
        let (bytes, end) = try await #require(reader, "the socket never filled up").value
        #expect(bytes == whole)
        #expect(end == .end)
        client.close(sendingFirst: [])
        accepted.close(sendingFirst: [])
    }

    /// ALPN: a listener picks the first of its protocols the client offers and refuses a client offering
    /// none of them.
    @Test func applicationProtocolNegotiation() async throws {
        var configuration = TLSFixtures.server()
        configuration.applicationProtocols = ["multisocket/2", "multisocket/1"]
        let server = try TLSServer(configuration)
        defer { Task { await server.listener.close() } }
        var offer = TLSFixtures.client()
        offer.applicationProtocols = ["multisocket/1", "multisocket/2"]
        let client = try await connect(server.port, offer).get()
        #expect(client.applicationProtocol == "multisocket/2")
        client.close(sendingFirst: [])
        offer.applicationProtocols = ["h2"]
        let refused = try await connect(server.port, offer)
        #expect(throws: MultiSocketError(.protocolMismatch)) { try refused.get() }
    }

    /// Certificates, key and trust roots given as PEM bytes work as files do.
    @Test func pemBytesConfiguration() async throws {
        func bytes(_ name: String) throws -> [UInt8] {
            let fd = open(TLSFixtures.path(name), O_RDONLY)
            try #require(fd >= 0)
            defer { Glibc.close(fd) }
            var all: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if count <= 0 { return all }
                all += chunk[..<count]
            }
        }
        let server = try TLSServer(TLSConfiguration.server(
            certificateChain: .bytes(try bytes("server.pem") + bytes("ca.pem")), privateKey: .bytes(try bytes("server.key")),
            requireClientCertificate: true, clientRoots: .certificates(.bytes(try bytes("ca.pem")))))
        defer { Task { await server.listener.close() } }
        let client = try await connect(server.port, TLSConfiguration(
            certificateChain: .bytes(try bytes("client-a.pem")), privateKey: .bytes(try bytes("client-a.key")),
            trustRoots: .certificates(.bytes(try bytes("ca.pem"))))).get()
        #expect(await server.nextAccepted()?.peerCertificate?.commonName == "client-a")
        client.close(sendingFirst: [])
        #expect(throws: MultiSocketError(.badAddress)) {
            _ = try TLSServer(TLSConfiguration.server(certificateChain: .bytes(Array("junk".utf8)),
                                                      privateKey: .bytes(try bytes("server.key"))))
        }
    }

    /// A listener without a certificate, or with a key that is not its certificate's, does not open.
    @Test func listenerNeedsAMatchingCertificateAndKey() throws {
        #expect(throws: MultiSocketError(.badAddress)) { _ = try TLSServer(TLSConfiguration()) }
        let mismatched = TLSConfiguration.server(certificateChain: .file(TLSFixtures.path("server.pem")),
                                                 privateKey: .file(TLSFixtures.path("client-a.key")))
        #expect(throws: MultiSocketError(.badAddress)) { _ = try TLSServer(mismatched) }
        let missing = TLSConfiguration.server(certificateChain: .file("/nonexistent/cert.pem"),
                                              privateKey: .file("/nonexistent/key.pem"))
        #expect(throws: MultiSocketError(.badAddress)) { _ = try TLSServer(missing) }
    }

    /// Without OpenSSL, loading says what to install, and a TLS dial or listen fails with that.
    @Test func missingOpenSSLSaysWhatToInstall() async throws {
        let missing: TLSTransport.Library = { OpenSSL.load(ssl: "libssl-missing-for-a-test.so.3") }
        guard case .failure(let error) = missing() else {
            Issue.record("a missing library loaded")
            return
        }
        #expect(error.code == .notSupported)
        #expect(error.context.contains("TLS needs OpenSSL 3 (libssl-missing-for-a-test.so.3)"), "\(error)")
        #expect(error.context.contains("apt-get install libssl3"), "\(error)")
        let dialed = try await connect(1, TLSFixtures.client(), library: missing)
        #expect(throws: error) { try dialed.get() }
        #expect(throws: error) {
            _ = try TLSTransport.listenStreams(Address("tls+tcp://127.0.0.1:0"),
                                               options: PipeOptions(endpoint: EndpointOptions(tls: TLSFixtures.server())),
                                               reactor: streamTestReactor, library: missing) { _, _ in }
        }
        #expect((try? OpenSSL.shared.get()) != nil)
    }

    /// The query sets TLS fields, starting from the default configuration; bad values name the option.
    @Test func queryOptions() throws {
        let address = try Address("tls+tcp://127.0.0.1:1?tlsVerify=false&tlsServerName=peer.example&tlsCAFile=/ca.pem"
                                  + "&tlsCertificateFile=/c.pem&tlsKeyFile=/c.key&tlsRequireClientCertificate=true"
                                  + "&tlsHandshakeTimeout=250ms")
        let tls = try #require(try EndpointOptions().applying(address.query).tls)
        #expect(tls == TLSConfiguration(certificateChain: .file("/c.pem"), privateKey: .file("/c.key"),
                                        trustRoots: .certificates(.file("/ca.pem")), verifyPeer: false,
                                        requireClientCertificate: true, serverName: "peer.example",
                                        handshakeTimeout: .milliseconds(250)))
        #expect(throws: MultiSocketError(.badAddress)) { try Address("tls+tcp://127.0.0.1:1?tlsVerify=maybe") }
        #expect(throws: MultiSocketError(.badAddress)) { try Address("wss://127.0.0.1:1/x?tlsServerName=") }
        #expect(try EndpointOptions().applying(Address("tcp://127.0.0.1:1").query).tls == nil)
    }
}
