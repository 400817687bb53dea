import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// A dialer refused by the listener's pipe veto learns why (issue 17 item 5): the listener writes its reason
/// before closing, a synchronous `dial` of a role throws `refusedByPeer` with it, and a reconnecting dialer
/// reports it as a `dialFailed` event.
@Suite(.timeLimit(.minutes(2)))
struct VetoFeedbackTests {
    /// Every transport: the refusal is a socket-internal message, written before the link closes.
    static let transports = ConformanceTransport.suite

    static func vetoingReplier() -> Rep {
        Rep(options: SocketOptions(pipeVeto: { _ in "not on the guest list" }))
    }

    static func patientRequester(reconnect: Bool = true) -> Req {
        var endpoint = EndpointOptions(reconnect: reconnect, minReconnectInterval: .milliseconds(50))
        endpoint.admissionTimeout = .seconds(20)
        return Req(options: SocketOptions(connector: ConnectorOptions(endpoint: endpoint)))
    }

    @Test(arguments: transports)
    func vetoedDialThrowsRefusedByPeerWithTheReason(over transport: ConformanceTransport) async throws {
        let rep = Self.vetoingReplier()
        let req = Self.patientRequester()
        let address = try rep.listen(transport.uniqueAddress("veto"))
        let error = await thrown { try await withTimeout(30, "the refused dial") { try await req.dial(address) } }
        let refusal = try #require(error as? MultiSocketError)
        #expect(refusal.code == .refusedByPeer)
        #expect(refusal.context.contains("not on the guest list"))
        #expect(rep.statistics.pipesRefused >= 1)
        #expect(req.statistics.dialFailures >= 1)
        // The dial failed, so it left no dialer behind: dialing the same address again is allowed.
        let again = await thrown { try await withTimeout(30, "the second dial") { try await req.dial(address) } }
        #expect(code(again) == .refusedByPeer)
        await req.close()
        await rep.close()
    }

    @Test(arguments: [ConformanceTransport.tcp, .ws])
    func reconnectingDialerReportsTheRefusalAsAnEvent(over transport: ConformanceTransport) async throws {
        let rep = Self.vetoingReplier()
        let req = Self.patientRequester()
        let events = req.events()
        let address = try rep.listen(transport.uniqueAddress("veto-bg"))
        try await req.dial(address, waitForConnection: false)
        let reported = try await Await.event(events, "the refusal event") { event -> MultiSocketError? in
            if case .dialFailed(_, let error) = event, error.code == .refusedByPeer { return error }
            return nil
        }
        #expect(reported.context.contains("not on the guest list"))
        await req.close()
        await rep.close()
    }

    /// A socket without an identity does not wait for the listener's hello (it sends none either), but it
    /// still hears the refusal, as an event.
    @Test func plainSocketHearsTheRefusalAsAnEvent() async throws {
        let server = Socket(options: SocketOptions(pipeVeto: { _ in "closed for cleaning" }))
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let events = client.events()
        let address = try server.listen("tcp://127.0.0.1:0")
        try await client.dial("\(address)")
        let reported = try await Await.event(events, "the refusal event") { event -> MultiSocketError? in
            if case .dialFailed(_, let error) = event, error.code == .refusedByPeer { return error }
            return nil
        }
        #expect(reported.context.contains("closed for cleaning"))
        await Marry.waitForPipesDown(client, to: 0)
        await client.close()
        await server.close()
    }

    /// An admitting listener's hello ends the wait: a dial with an admission timeout of an hour returns (were
    /// it waiting for the timeout, the 90 s safety net would fail the test).
    @Test(arguments: [ConformanceTransport.inproc, .tcp])
    func admittedDialDoesNotWaitForTheTimeout(over transport: ConformanceTransport) async throws {
        let rep = Rep()
        var endpoint = EndpointOptions()
        endpoint.admissionTimeout = .seconds(3600)
        let req = Req(options: SocketOptions(connector: ConnectorOptions(endpoint: endpoint)))
        let address = try rep.listen(transport.uniqueAddress("admitted"))
        try await withTimeout(90, "the admitted dial") { try await req.dial(address) }
        let serving = Task { try await rep.serve { $0.body } }
        #expect(try await req.request(bytes("hi"), timeout: .seconds(20)) == bytes("hi"))
        await req.close()
        await rep.close()
        try await serving.value
    }

    /// A role dialing a listener of a protocol that does not fit learns it from the listener's hello.
    @Test func dialToIncompatibleRoleThrowsProtocolMismatch() async throws {
        let sub = Sub()
        var endpoint = EndpointOptions(reconnect: false)
        endpoint.admissionTimeout = .seconds(20)
        let req = Req(options: SocketOptions(connector: ConnectorOptions(endpoint: endpoint)))
        let address = try sub.listen("tcp://127.0.0.1:0")
        let error = await thrown { try await withTimeout(30, "the mismatched dial") { try await req.dial(address) } }
        #expect(code(error) == .protocolMismatch)
        await req.close()
        await sub.close()
    }
}

/// The other direction: a dialer whose own veto refuses the pipe tells the listener, which reports a refused
/// pipe naming the dialer's reason.
@Suite(.timeLimit(.minutes(1)))
struct DialerVetoFeedbackTests {
    @Test func listenerHearsTheDialersRefusal() async throws {
        let server = Socket()
        let events = server.events()
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false)),
                                                   pipeVeto: { _ in "not that server" }))
        let address = try server.listen("tcp://127.0.0.1:0")
        try await client.dial("\(address)")
        let reason = try await Await.event(events, "the refused pipe") { event -> String? in
            if case .pipeRefused(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == "the peer refused the connection: not that server")
        await Marry.waitForPipesDown(server, to: 0)
        await client.close()
        await server.close()
    }
}
