import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Failures the caller sees (issue 17 item 5): a `Req` timeout says whether its request ever left, and a `Rep`
/// handler that throws is counted, reported and answered so that the requester fails at once.
@Suite(.timeLimit(.minutes(2)))
struct VisibleFailureTests {
    /// No replier ever connected: the request never left, and the error says so (`noPeer`, not `timedOut`).
    @Test func requestWithNoPeerSaysItWasNeverSent() async throws {
        let req = Req()
        let error = await thrown { _ = try await req.request(bytes("anyone?"), timeout: .milliseconds(200)) }
        #expect(code(error) == .noPeer)
        #expect("\(error!)".contains("never sent"))
        #expect(req.pendingRequests == 0)
        await req.close()
    }

    /// A replier took the request and never answered: `timedOut`, meaning sent but unanswered.
    @Test(arguments: [ConformanceTransport.inproc, .tcp])
    func requestSentButUnansweredTimesOut(over transport: ConformanceTransport) async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: transport)
        async let error = thrown { _ = try await req.request(bytes("ignored"), timeout: .milliseconds(300)) }
        let held = try await withTimeout(20, "the request") { try await rep.receive() }
        #expect(held.body == bytes("ignored"))
        #expect(code(await error) == .timedOut)
        await req.close()
        await rep.close()
    }

    /// A replier that was there and went away before the request: the request was queued with no pipe after
    /// the removal; it never left, so `noPeer`… unless a pipe existed meanwhile, which the counters see.
    @Test func requestAfterTheOnlyPeerLeftSaysNeverSent() async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: .inproc)
        let events = req.events()
        await rep.close()
        _ = try await Await.event(events, "the pipe removed") { event in
            if case .pipeRemoved = event { return true }
            return nil
        }
        let error = await thrown { _ = try await req.request(bytes("late"), timeout: .milliseconds(200)) }
        #expect(code(error) == .noPeer)
        await req.close()
    }

    /// A handler that throws: the requester gets `handlerFailed` with the error's text long before its
    /// timeout; the replier counts it and reports it as an event; the replier keeps serving.
    @Test(arguments: [ConformanceTransport.inproc, .tcp, .ws])
    func throwingHandlerIsCountedReportedAndAnswered(over transport: ConformanceTransport) async throws {
        struct Refusal: Error, CustomStringConvertible {
            var description: String { "out of stock" }
        }
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: transport)
        let events = rep.events()
        let server = Task {
            try await rep.serve { request in
                if request.body == bytes("bad") { throw Refusal() }
                return request.body
            }
        }
        // An hour's timeout: the answer, not the timeout, ends the request (`handlerFailed`, not `timedOut`).
        let error = await thrown {
            _ = try await withTimeout(90, "the failure answer") {
                try await req.request(bytes("bad"), timeout: .seconds(3600))
            }
        }
        #expect(code(error) == .handlerFailed)
        #expect((error as? MultiSocketError)?.context.contains("out of stock") == true)
        let reported = try await Await.event(events, "the handler failure event") { event -> String? in
            if case .handlerFailed(let path, let error) = event, !path.isEmpty { return error }
            return nil
        }
        #expect(reported == "out of stock")
        #expect(rep.statistics.handlerFailures == 1)
        // The replier still serves, and the requester still gets replies.
        #expect(try await req.request(bytes("good"), timeout: .seconds(20)) == bytes("good"))
        await rep.close()
        try await server.value
        await req.close()
    }

    /// `replyFailure` from a hand-written replier: the text is cut to `maxFailureLength` bytes.
    @Test func manualFailureAnswerIsBounded() async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: .inproc)
        async let error = thrown { _ = try await req.request(bytes("q"), timeout: .seconds(20)) }
        let request = try await withTimeout(20, "the request") { try await rep.receive() }
        try rep.replyFailure(to: request, String(repeating: "x", count: 5000))
        let failure = try #require(await error as? MultiSocketError)
        #expect(failure.code == .handlerFailed)
        #expect(failure.context.filter { $0 == "x" }.count == Rep.maxFailureLength)
        await req.close()
        await rep.close()
    }
}
