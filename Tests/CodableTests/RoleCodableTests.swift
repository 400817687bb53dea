import MultiSocketCodable
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct RoleCodableTests {
    @Test(arguments: codableTransports)
    func requestReplyBothWays(over transport: ConformanceTransport) async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: transport)
        let server = Task {
            try await rep.serve(workers: 2, decoding: Order.self) { order, request in
                #expect(!request.path.isEmpty)
                return Receipt(orderID: order.id, accepted: order.quantities.reduce(0, +) > 0)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let receipt = try await req.request(Order(id: index, item: "i\(index)", quantities: [Double(index)]),
                                                        as: Receipt.self, timeout: .seconds(20))
                    #expect(receipt == Receipt(orderID: index, accepted: index > 0))
                }
            }
            try await group.waitForAll()
        }
        await rep.close()
        try await server.value
        await req.close()
    }

    /// The body of `request(_:as:)` is JSON for a struct, but UTF-8 for a `String` and the bytes themselves for
    /// `[UInt8]`; the replier's manual calls (`decode`, `reply(to:encoding:)`) read and answer in kind.
    @Test func requestBodiesOfStringsAndBytesAreNotJSON() async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: .inproc)
        let server = Task {
            var bodies: [[UInt8]] = []
            for _ in 0..<3 {
                let request = try await rep.receive()
                bodies.append(request.body)
                try await rep.reply(to: request, encoding: Receipt(orderID: bodies.count, accepted: true))
            }
            return bodies
        }
        let raw: [UInt8] = [1, 2, 3]
        let text = "ping"
        _ = try await req.request(text, as: Receipt.self, timeout: .seconds(20))
        _ = try await req.request(raw, as: Receipt.self, timeout: .seconds(20))
        let last = try await req.request(Order(id: 9, item: "x", quantities: []), as: Receipt.self, timeout: .seconds(20))
        #expect(last == Receipt(orderID: 3, accepted: true))
        let bodies = try await withTimeout(20, "bodies") { try await server.value }
        #expect(bodies[0] == bytes("ping"))
        #expect(bodies[1] == raw)
        #expect(try JSONMessageCoder().decode(Order.self, from: bodies[2]) == Order(id: 9, item: "x", quantities: []))
        await req.close()
        await rep.close()
    }

    @Test(arguments: codableTransports)
    func undecodableRequestIsAnsweredWithAFailureNamingTheType(over transport: ConformanceTransport) async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: transport)
        let server = Task {
            try await rep.serve(decoding: Order.self) { order, _ in Receipt(orderID: order.id, accepted: true) }
        }
        let error = await thrown { _ = try await req.request("garbage", as: Receipt.self, timeout: .seconds(20)) }
        let failure = try #require(error as? MultiSocketError)
        #expect(failure.code == .handlerFailed)
        #expect(failure.context.contains("Order"))
        #expect(rep.statistics.handlerFailures == 1)
        await rep.close()
        try await server.value
        await req.close()
    }

    @Test(arguments: codableTransports)
    func undecodableReplyKeepsItsBytes(over transport: ConformanceTransport) async throws {
        let req = Req(), rep = Rep()
        try await connect(req, to: rep, over: transport)
        let server = Task { try await rep.serve { _ in bytes("{\"nope\":1}") } }
        let error = await thrown { _ = try await req.request(Order(id: 1, item: "a", quantities: []), as: Receipt.self,
                                                             timeout: .seconds(20)) }
        let failure = try #require(error as? ContentCodingError)
        #expect(failure.direction == .decoding)
        #expect(failure.typeName == "Receipt")
        #expect(failure.content == bytes("{\"nope\":1}"))
        await rep.close()
        try await server.value
        await req.close()
    }

    @Test(arguments: codableTransports)
    func publishSubscribe(over transport: ConformanceTransport) async throws {
        let pub = Pub(), sub = Sub()
        sub.subscribe([])
        try await connect(sub, to: pub, over: transport)
        try await pub.publish(encoding: Order(id: 1, item: "news", quantities: [2]))
        let order = try await withTimeout(20, "published") { try await sub.receive(decoding: Order.self) }
        #expect(order == Order(id: 1, item: "news", quantities: [2]))
        await pub.close()
        await sub.close()
    }

    @Test(arguments: codableTransports)
    func pushPull(over transport: ConformanceTransport) async throws {
        let push = Push(), pull = Pull()
        try await connect(push, to: pull, over: transport)
        try await push.send(encoding: Order(id: 2, item: "job", quantities: []))
        let order = try await withTimeout(20, "pushed") { try await pull.receive(decoding: Order.self) }
        #expect(order.id == 2)
        await push.close()
        await pull.close()
    }

    @Test(arguments: codableTransports)
    func pairBothWays(over transport: ConformanceTransport) async throws {
        let left = Pair(), right = Pair()
        try await connect(left, to: right, over: transport)
        try await left.send(encoding: Order(id: 3, item: "l", quantities: []))
        #expect(try await withTimeout(20, "right") { try await right.receive(decoding: Order.self) }.id == 3)
        try await right.send(encoding: Receipt(orderID: 3, accepted: true))
        #expect(try await withTimeout(20, "left") { try await left.receive(decoding: Receipt.self) }.accepted)
        await left.close()
        await right.close()
    }

    @Test(arguments: codableTransports)
    func busBothWays(over transport: ConformanceTransport) async throws {
        let left = Bus(), right = Bus()
        try await connect(left, to: right, over: transport)
        try await left.send(encoding: Order(id: 4, item: "b", quantities: []))
        #expect(try await withTimeout(20, "right") { try await right.receive(decoding: Order.self) }.id == 4)
        try await right.send(encoding: Receipt(orderID: 4, accepted: false))
        #expect(try await withTimeout(20, "left") { try await left.receive(decoding: Receipt.self) }.orderID == 4)
        await left.close()
        await right.close()
    }

    @Test(arguments: codableTransports)
    func surveyAndRespond(over transport: ConformanceTransport) async throws {
        let surveyor = Surveyor(), respondent = Respondent()
        try await connect(respondent, to: surveyor, over: transport)
        let answering = Task {
            let survey = try await respondent.receive()
            let order = try survey.decode(Order.self)
            try await respondent.respond(to: survey, encoding: Receipt(orderID: order.id, accepted: true))
        }
        let answers = try await surveyor.survey(encoding: Order(id: 5, item: "q", quantities: []),
                                                deadline: .seconds(20), maxAnswers: 1)
        #expect(try answers.map { try $0.decode(Receipt.self) } == [Receipt(orderID: 5, accepted: true)])
        try await withTimeout(20, "respondent") { try await answering.value }
        await surveyor.close()
        await respondent.close()
    }
}
