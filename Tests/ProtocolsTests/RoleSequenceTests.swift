import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Rep's requests, Sub's and Pull's messages and Respondent's surveys as asynchronous sequences: they deliver
/// what the role's receive does and end when the role closes.
@Suite(.timeLimit(.minutes(1)))
struct RoleSequenceTests {
    @Test func repServesWithAForAwaitLoopThatEndsOnClose() async throws {
        let rep = Rep()
        let req = Req()
        try await req.dial(try rep.listen(ConformanceTransport.inproc.uniqueAddress("reqseq")))
        let served = Task {
            var count = 0
            for try await request in rep.requests {
                try await rep.reply(to: request, request.body + [UInt8(count)])
                count += 1
            }
            return count
        }
        #expect(try await req.request([9], timeout: .seconds(20)) == [9, 0])
        #expect(try await req.request([8], timeout: .seconds(20)) == [8, 1])
        await rep.close()
        #expect(try await served.value == 2, "the loop ended by itself when the socket closed")
        await req.close()
    }

    @Test func subAndPullMessagesAndRespondentSurveys() async throws {
        let pub = Pub()
        let sub = Sub()
        sub.subscribe("a")
        let address = try pub.listen(ConformanceTransport.inproc.uniqueAddress("subseq"))
        try await sub.dial(address)
        try await pub.waitForPeers(1, timeout: .seconds(20))
        try await pub.publish(Array("b-skip".utf8))
        try await pub.publish(Array("a-keep".utf8))
        var iterator = sub.messages.makeAsyncIterator()
        #expect(try await iterator.next()?.text == "a-keep")

        let push = Push()
        let pull = Pull()
        try await push.dial(try pull.listen(ConformanceTransport.inproc.uniqueAddress("pullseq")))
        try await push.send([1])
        var pulled = pull.messages.makeAsyncIterator()
        #expect(try await pulled.next()?.content == [1])
        await pull.close()
        #expect(try await pulled.next() == nil, "ends once closed and drained")

        let surveyor = Surveyor()
        let respondent = Respondent()
        try await respondent.dial(try surveyor.listen(ConformanceTransport.inproc.uniqueAddress("surveyseq")))
        try await surveyor.waitForPeers(1, timeout: .seconds(20))
        let answering = Task {
            for try await survey in respondent.surveys { try await respondent.respond(to: survey, survey.body) }
        }
        let answers = try await surveyor.survey([5], deadline: .seconds(10))  // room for a loaded machine
        #expect(answers.map(\.body) == [[5]])
        await respondent.close()
        try await answering.value
        for role in [pub, sub, push, surveyor] as [any ProtocolRole] { await role.close() }
    }
}
