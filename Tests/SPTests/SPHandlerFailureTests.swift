import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// The SP wire has no failure answer: a `Rep` whose handler throws leaves the request unanswered, as NNG's
/// REP does, and still counts and reports the failure. (On multisocket frames the requester gets
/// `handlerFailed`: VisibleFailureTests.)
@Suite(.timeLimit(.minutes(1)))
struct SPHandlerFailureTests {
    struct Refusal: Error {}

    @Test func throwingHandlerLeavesTheSPRequestUnanswered() async throws {
        let rep = Rep()
        let bound = try rep.listen("sp+tcp://127.0.0.1:0")
        let events = rep.events()
        let serving = Task {
            try await rep.serve { request in
                if request.body == bytes("bad") { throw Refusal() }
                return request.body
            }
        }
        let req = Req()
        try await req.dial(bound)
        let error = await thrown { _ = try await req.request(bytes("bad"), timeout: .milliseconds(500)) }
        // Nothing came back — not the failure text as if it were a reply, not a failure answer.
        #expect((error as? MultiSocketError)?.code == .timedOut)
        _ = try await Await.event(events, "the handler failure event") { event -> Bool? in
            if case .handlerFailed = event { return true }
            return nil
        }
        #expect(rep.statistics.handlerFailures == 1)
        #expect(try await req.request(bytes("good"), timeout: .seconds(20)) == bytes("good"))
        #expect(req.droppedReplies == 0)
        serving.cancel()
        await req.close()
        await rep.close()
    }

    private func thrown(_ body: () async throws -> Void) async -> (any Error)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}
