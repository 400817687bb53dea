@_spi(Internals) import MultiSocketConnector
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

extension SPPeerTests {
    /// Against NNG itself (pynng's REQ, which resends after 5 s): our `Rep` whose handler fails once on `q1`
    /// writes nothing for it, so NNG sees no reply — not the failure text as if it were one — and the resend
    /// gets the answer. Had the failure answer been written, pynng would report a wrong reply to q1.
    @Suite(.timeLimit(.minutes(2)))
    struct SPHandlerFailureInteropTests {
        @Test func pynngRequestWhoseHandlerFailedStaysUnansweredUntilItsResend() async throws {
            guard await SPPeer.requirePynng() else { return }
            let rep = Rep()
            let failedOnce = Locked(false)
            let serving = Task {
                try await rep.serve { request in
                    let firstQ1 = request.body == bytes("q1") && failedOnce.withLock { failed in
                        defer { failed = true }
                        return !failed
                    }
                    if firstQ1 {
                        throw SPHandlerFailureTests.Refusal()
                    }
                    return bytes("re:") + request.body
                }
            }
            if let peer = try await pynngPeer("req", for: rep, .weListen, .tcp) {
                await expectSuccess(peer, "pynng req")
            }
            #expect(rep.statistics.handlerFailures == 1)
            serving.cancel()
            await rep.close()
        }
    }
}
