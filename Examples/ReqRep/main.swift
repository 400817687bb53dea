// Request/reply with Codable values: one Rep server with four concurrent workers, three Req clients each
// sending several requests at once. Every request carries its own id, so replies can come back in any order.
// Requests and replies are JSON (MultiSocketCodable); a request the server cannot serve comes back as an error.
import MultiSocketCodable

struct Question: Codable, Sendable {
    var client: Int
    var number: Int
    var text: String
}

struct Answer: Codable, Sendable {
    var text: String
    var path: String
}

struct Unanswerable: Error, CustomStringConvertible {
    var description: String { "the server does not answer questions about the meaning of life" }
}

func run() async throws {
    let server = Rep()
    let address = try server.listen("tcp://127.0.0.1:0")
    print("server: listening on \(address) with 4 workers")
    let serving = Task {
        try await server.serve(workers: 4, decoding: Question.self) { question, request in
            try await Task.sleep(for: .milliseconds(100))  // pretend to work
            if question.text.contains("meaning of life") { throw Unanswerable() }
            return Answer(text: question.text.uppercased(), path: "\(request.path)")
        }
    }

    let clients = (0..<3).map { _ in Req() }
    for client in clients { try await client.dial(address) }

    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, client) in clients.enumerated() {
                for request in 0..<4 {
                    group.addTask {
                        let question = Question(client: number, number: request, text: "client \(number) request \(request)")
                        let answer = try await client.request(question, as: Answer.self, timeout: .seconds(5))
                        print("client \(number): \(answer.text) (answered via path \(answer.path))")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    print("12 requests of 100 ms each took \(elapsed) with 4 workers (serially: 1.2 s)")

    do {
        _ = try await clients[0].request(Question(client: 0, number: 4, text: "the meaning of life?"), as: Answer.self)
    } catch let error as MultiSocketError where error.code == .handlerFailed {
        print("client 0: the server failed: \(error.context)")
    }

    for client in clients { await client.close() }
    await server.close()
    try await serving.value
    print("done")
}

try await run()
