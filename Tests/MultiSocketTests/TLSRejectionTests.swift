import MultiSocket
import MultiSocketTestSupport
import Testing

/// A tls+tcp or wss listener that drops a connection whose TLS handshake failed reports it: the socket emits
/// ``SocketEvent/handshakeRejected(address:peer:error:)`` and counts it in
/// ``SocketStatistics/rejectedHandshakes``, and the listener keeps serving good clients.
@Suite(.timeLimit(.minutes(1)))
struct TLSRejectionTests {
    private static func options(_ tls: TLSConfiguration, reconnect: Bool = true) -> SocketOptions {
        SocketOptions(connector: ConnectorOptions(endpoint: EndpointOptions(reconnect: reconnect, tls: tls)))
    }

    /// The next rejection on `events`, as its address, peer and error.
    private static func rejection(_ events: AsyncStream<SocketEvent>, _ what: String) async throws
        -> (address: String, peer: String?, error: MultiSocketError) {
        try await Await.event(events, what) { event -> (String, String?, MultiSocketError)? in
            if case .handshakeRejected(let address, let peer, let error) = event { return (address, peer, error) }
            return nil
        }
    }

    /// A client that sends garbage instead of a ClientHello, then one presenting a certificate from an
    /// untrusted CA to a listener requiring client certificates: each is an event and a count, and a
    /// client with a trusted certificate still gets through and talks.
    @Test(arguments: ["tls+tcp://127.0.0.1:0", "wss://127.0.0.1:0/rejections"])
    func garbageAndUntrustedClientsAreReported(address: String) async throws {
        let server = Socket(options: Self.options(TLSFixtures.server(requireClientCertificate: true)))
        let events = server.events()
        let bound = try server.listen(address)

        let garbage = try PlainClient(port: bound.port!)
        try garbage.write(Array("GET / HTTP/1.0\r\n\r\nthis is not TLS at all".utf8) + [UInt8](repeating: 0x16, count: 64))
        let first = try await Self.rejection(events, "the garbage client's rejection")
        #expect(first.address == address)
        #expect(first.error.code == .protocolMismatch, "\(first.error)")
        #expect(first.peer?.contains("127.0.0.1") == true, "\(String(describing: first.peer))")
        garbage.close()

        let untrusted = Socket(options: Self.options(TLSFixtures.client("untrusted-client"), reconnect: false))
        // The dial may fail or, with TLS 1.3, finish before the server has checked the certificate (the
        // server's alert comes after): what it throws depends on the wire; the server's side is checked.
        _ = try? await untrusted.dial("\(bound)")
        let second = try await Self.rejection(events, "the untrusted client's rejection")
        #expect(second.error.code == .protocolMismatch, "\(second.error)")
        #expect(second.error.context.contains("certificate"), "\(second.error)")
        await untrusted.close()
        #expect(server.statistics.rejectedHandshakes == 2)
        #expect(server.statistics.pipesAdded == 0)

        let good = Socket(options: Self.options(TLSFixtures.client("client-a")))
        try await good.dial("\(bound)")
        try await good.send(Array("still serving".utf8))
        #expect(try await withTimeout(10, "the good client's message") { try await server.receive() }.content
                == Array("still serving".utf8))
        #expect(server.statistics.rejectedHandshakes == 2)
        await good.close()
        await server.close()
    }

    /// A client that connects and says nothing is dropped at the handshake deadline, as a `timedOut`
    /// rejection.
    @Test func silentClientTimesOut() async throws {
        let server = Socket(options: Self.options(TLSFixtures.server(handshakeTimeout: .milliseconds(200))))
        let events = server.events()
        let bound = try server.listen("tls+tcp://127.0.0.1:0")
        let silent = try PlainClient(port: bound.port!)
        let rejection = try await Self.rejection(events, "the silent client's rejection")
        #expect(rejection.error.code == .timedOut, "\(rejection.error)")
        #expect(server.statistics.rejectedHandshakes == 1)
        silent.close()
        await server.close()
    }
}
