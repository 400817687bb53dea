import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Text on every role: a `String` goes as its UTF-8 (never JSON) and reads back with `text`.
@Suite(.timeLimit(.minutes(1)))
struct RoleTextTests {
    @Test(arguments: [ConformanceTransport.inproc, .tcp])
    func requestReplyInText(over transport: ConformanceTransport) async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: transport)
        let serving = Task {
            let request = try await rep.receive()
            #expect(request.body == bytes("héllo"))
            try await rep.reply(to: request, "re: \(request.text)")
        }
        let reply: String = try await req.request("héllo", timeout: .seconds(20))
        #expect(reply == "re: héllo")
        try await withTimeout(20, "the replier") { try await serving.value }
        await req.close()
        await rep.close()
    }

    @Test func everyRoleSendsText() async throws {
        let pub = Pub(), sub = Sub()
        sub.subscribe("news")
        try await connect(sub, to: pub, over: .inproc)
        try await pub.publish("news: rain")
        #expect(try await withTimeout(20, "published") { try await sub.receive() }.text == "news: rain")

        let push = Push(), pull = Pull()
        try await connect(push, to: pull, over: .inproc)
        try await push.send("job")
        #expect(try await withTimeout(20, "pushed") { try await pull.receive() }.content == bytes("job"))

        let left = Pair(), right = Pair()
        try await connect(left, to: right, over: .inproc)
        try await left.send("to the right")
        #expect(try await withTimeout(20, "paired") { try await right.receive() }.text == "to the right")

        let one = Bus(), two = Bus()
        try await connect(one, to: two, over: .inproc)
        try await one.send("all aboard")
        #expect(try await withTimeout(20, "bussed") { try await two.receive() }.text == "all aboard")

        let surveyor = Surveyor(), respondent = Respondent()
        try await connect(respondent, to: surveyor, over: .inproc)
        let answering = Task {
            let survey = try await respondent.receive()
            try await respondent.respond(to: survey, "yes to '\(survey.text)'")
        }
        let answers = try await surveyor.survey("ready?", deadline: .seconds(20), maxAnswers: 1)
        #expect(answers.map(\.text) == ["yes to 'ready?'"])
        try await withTimeout(20, "the respondent") { try await answering.value }
        for role in [pub, sub, push, pull, left, right, one, two, surveyor, respondent] as [any ProtocolRole] {
            await role.close()
        }
    }
}
