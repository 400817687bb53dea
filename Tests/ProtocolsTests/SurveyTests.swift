import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct SurveyTests {
    @Test(arguments: ConformanceTransport.suite)
    func surveyCollectsEveryAnswer(over transport: ConformanceTransport) async throws {
        let surveyor = Surveyor()
        let respondents = [Respondent(), Respondent(), Respondent()]
        let address = try surveyor.listen(transport.uniqueAddress("survey"))
        for respondent in respondents { try await connect(respondent, to: surveyor, at: "\(address)") }
        let answering = respondents.enumerated().map { index, respondent in
            Task {
                while let survey = try? await respondent.receive() {
                    try? await respondent.respond(to: survey, survey.body + [UInt8(index)])
                }
            }
        }
        let answers = try await surveyor.survey(bytes("q"), deadline: .seconds(10), maxAnswers: 3)
        #expect(Set(answers.map(\.body)) == [bytes("q") + [0], bytes("q") + [1], bytes("q") + [2]])
        // A deadline alone also ends a survey, with whatever arrived.
        let clock = ContinuousClock()
        let start = clock.now
        let all = try await surveyor.survey(bytes("r"), deadline: .seconds(5))
        #expect(all.count == 3, "dropped \(surveyor.droppedAnswers); surveyor \(surveyor.socket.statistics)")
        #expect(clock.now - start >= .seconds(5))
        for respondent in respondents { await respondent.close() }
        for task in answering { await task.value }
        await surveyor.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func answersToAnOldSurveyAreDropped(over transport: ConformanceTransport) async throws {
        let surveyor = Surveyor()
        let respondent = Respondent()
        try await connect(respondent, to: surveyor, over: transport)
        let none = try await surveyor.survey(bytes("old"), deadline: .milliseconds(100))
        #expect(none.isEmpty)
        let old = try await respondent.receive()
        try await respondent.respond(to: old, bytes("late"))
        async let current = surveyor.survey(bytes("new"), deadline: .seconds(10), maxAnswers: 1)
        let fresh = try await respondent.receive()
        #expect(fresh.id != old.id)
        try await respondent.respond(to: fresh, bytes("on time"))
        #expect(try await current.map(\.body) == [bytes("on time")])
        #expect(surveyor.droppedAnswers == 1)
        await respondent.close()
        await surveyor.close()
    }
}
