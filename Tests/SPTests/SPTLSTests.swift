import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// The SP wire over TLS (`sp+tls+tcp`): the TLS handshake, then the SP header exchange and framing.
@Suite(.timeLimit(.minutes(1)))
struct SPTLSTests {
    private var address: String { "sp+tls+tcp://127.0.0.1:0?\(TLSFixtures.query)" }

    @Test func requestsAndRepliesCrossTLS() async throws {
        let rep = Rep()
        let req = Req()
        let bound = try rep.listen(address)
        #expect(bound.scheme == "sp+tls+tcp" && bound.port != 0)
        try await req.dial("\(bound)")
        let serving = Task { try await rep.serve(workers: 4) { request in request.body + [1] } }
        async let first = req.request([7], timeout: .seconds(20))
        async let second = req.request([8], timeout: .seconds(20))
        #expect(try await first == [7, 1])
        #expect(try await second == [8, 1])
        let pipe = try #require(req.socket.connector.pipes.first)
        #expect(pipe.peerCertificate?.subjectAlternativeNames.contains("IP:127.0.0.1") == true,
                "the pipe carries the server's verified certificate")
        serving.cancel()
        await req.close()
        await rep.close()
    }

    @Test func anIncompatibleProtocolIsRefusedAfterTheHandshake() async throws {
        let pub = Pub()
        let bound = try pub.listen(address)
        let req = Req(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        await #expect(throws: MultiSocketError(.protocolMismatch)) { try await req.dial("\(bound)") }
        await req.close()
        await pub.close()
    }

    @Test func aPlainSPDialerCannotReachATLSListener() async throws {
        let rep = Rep()
        let bound = try rep.listen(address)
        let req = Req(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        var plain = bound
        plain.scheme = "sp+tcp"
        plain.query = []
        await #expect(throws: MultiSocketError.self) { try await req.dial("\(plain)") }
        #expect(rep.statistics.pipesAdded == 0)
        await req.close()
        await rep.close()
    }
}
