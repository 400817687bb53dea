// Request/reply: one Rep server with four concurrent workers, three Req clients each sending several
// requests at once. Every request carries its own id, so replies can come back in any order.
import MultiSocketProtocols

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func run() async throws {
    let server = Rep()
    let address = try server.listen("tcp://127.0.0.1:0")
    print("server: listening on \(address) with 4 workers")
    let serving = Task {
        try await server.serve(workers: 4) { request in
            try await Task.sleep(for: .milliseconds(100))  // pretend to work
            return Array("\(text(request.body).uppercased()) (answered via path \(request.path))".utf8)
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
                        let reply = try await client.request(Array("client \(number) request \(request)".utf8),
                                                             timeout: .seconds(5))
                        print("client \(number): \(text(reply))")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    print("12 requests of 100 ms each took \(elapsed) with 4 workers (serially: 1.2 s)")

    for client in clients { await client.close() }
    await server.close()
    try await serving.value
    print("done")
}

try await run()
