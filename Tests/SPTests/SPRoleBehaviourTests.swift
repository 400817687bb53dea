@_spi(Internals) import MultiSocketConnector
import MultiSocketProtocols
import MultiSocketTestSupport
import Synchronization
import Testing

/// Each role keeps its behaviour on the SP wire, our roles at both ends: concurrent requests with resend and
/// timeout, concurrent workers, the prefix filter, no echo on a bus, the survey deadline.
@Suite(.timeLimit(.minutes(1)))
struct SPRoleBehaviourTests {
    /// Forty requests in flight at once on one Req, served by eight concurrent workers, each gets its reply.
    @Test(arguments: [SPWire.tcp, .ipc, .ws])
    func concurrentRequestsAndWorkers(_ wire: SPWire) async throws {
        let rep = Rep()
        let bound = try rep.listen(wire.ourListenAddress)
        let busy = Locked((now: 0, most: 0))
        let serving = Task {
            try await rep.serve(workers: 8) { request in
                busy.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                try await Task.sleep(for: .milliseconds(20))
                busy.withLock { $0.now -= 1 }
                return bytes("re:") + request.body
            }
        }
        let req = Req()
        try await req.dial(bound)
        try await withTimeout(20, "forty replies") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let reply = try await req.request(bytes("q\(index)"), timeout: .seconds(15))
                        #expect(text(reply) == "re:q\(index)")
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(busy.withLock { $0.most } > 1)
        #expect(req.droppedReplies == 0)
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// A request the replier ignores the first time is resent after its interval and answered; one nobody
    /// answers times out.
    @Test func resendAndTimeout() async throws {
        let rep = Rep()
        let bound = try rep.listen("sp+tcp://127.0.0.1:0")
        let seen = Locked<Set<[UInt8]>>([])
        let serving = Task {
            try await rep.serve { request in
                if text(request.body) == "never" { return nil }
                // The first copy of each request goes unanswered: only the resend is.
                return seen.withLock { $0.insert(request.body).inserted } ? nil : bytes("re:") + request.body
            }
        }
        let req = Req()
        try await req.dial(bound)
        let reply = try await withTimeout(10, "the resent request's reply") {
            try await req.request(bytes("again"), timeout: .seconds(8), resendInterval: .milliseconds(100))
        }
        #expect(text(reply) == "re:again")
        let error = await #expect(throws: MultiSocketError.self) {
            try await req.request(bytes("never"), timeout: .milliseconds(200))
        }
        #expect(error?.code == .timedOut)
        serving.cancel()
        await req.close()
        await rep.close()
    }

    /// Sub's prefix filter works on SP content: only the subscribed topic arrives.
    @Test func subscriberFiltersByPrefix() async throws {
        let sub = Sub()
        sub.subscribe("weather/")
        let bound = try sub.listen("sp+ipc://\(SPWire.uniquePath())")
        let pub = Pub()
        try await pub.dial(bound)
        await Marry.waitForPipes(sub.socket, count: 1)
        try await pub.publish(bytes("sport/goal"))
        try await pub.publish(bytes("weather/sunny"))
        let message = try await withTimeout(10, "the weather") { try await sub.receive() }
        #expect(text(message.content) == "weather/sunny")
        await pub.close()
        await sub.close()
    }

    /// Three buses in a line over SP: the middle one's message reaches both ends, and no bus gets back its
    /// own message.
    @Test func busNeverEchoes() async throws {
        let middle = Bus()
        let bound = try middle.listen("sp+tcp://127.0.0.1:0")
        let ends = [Bus(), Bus()]
        for end in ends { try await end.dial(bound) }
        await Marry.waitForPipes(middle.socket, count: 2)
        try await middle.send(bytes("hello"))
        for end in ends {
            let message = try await withTimeout(10, "the middle's hello") { try await end.receive() }
            #expect(text(message.content) == "hello")
        }
        try await ends[0].send(bytes("from the end"))
        let relayed = try await withTimeout(10, "the end's message") { try await middle.receive() }
        #expect(text(relayed.content) == "from the end")
        #expect(middle.socket.statistics.messagesReceived == 1)
        #expect(ends[0].socket.statistics.messagesReceived == 1)  // its own message did not come back
        for end in ends { await end.close() }
        await middle.close()
    }

    /// A survey ends at its deadline: answers sent after it are dropped and counted; a survey whose answers
    /// all come in time returns them (without waiting for the deadline once `maxAnswers` have arrived).
    @Test func surveyDeadline() async throws {
        let surveyor = Surveyor()
        let bound = try surveyor.listen("sp+tcp://127.0.0.1:0")
        let respondents = [Respondent(), Respondent()]
        for respondent in respondents { try await respondent.dial(bound) }
        await Marry.waitForPipes(surveyor.socket, count: 2)
        // First survey: nobody answers before it ends.
        let (ended, end) = AsyncStream<Void>.makeStream()
        let answering = Task {
            var surveys: [(Respondent, Respondent.Survey)] = []
            for respondent in respondents { surveys.append((respondent, try await respondent.receive())) }
            for await _ in ended { break }
            for (respondent, survey) in surveys { try await respondent.respond(to: survey, bytes("too late")) }
        }
        let start = ContinuousClock.now
        let none = try await surveyor.survey(bytes("anyone?"), deadline: .milliseconds(300))
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        #expect(none.isEmpty)
        end.finish()
        try await answering.value
        // Second survey: both answer at once.
        let prompt = Task {
            for respondent in respondents {
                let survey = try await respondent.receive()
                try await respondent.respond(to: survey, bytes("here"))
            }
        }
        let answers = try await surveyor.survey(bytes("who?"), deadline: .seconds(20), maxAnswers: 2)
        #expect(answers.map { text($0.body) } == ["here", "here"])
        try await prompt.value
        try await withTimeout(10, "the late answers to be dropped") {
            while surveyor.droppedAnswers < 2 { try await Task.sleep(for: .milliseconds(10)) }
        }
        for respondent in respondents { await respondent.close() }
        await surveyor.close()
    }
}
