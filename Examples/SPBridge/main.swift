// A switch between the two worlds: SP requesters (NNG, nanomsg, mangos, pynng — here our own Req speaking
// the SP wire) call multisocket Rep workers through one Switch.
//
//   SP REQ clients ──sp+tcp──▶ [switch: front REP on sp+tcp, back REQ on tcp] ──tcp──▶ Rep workers
//
// The switch's front speaks SP; each request's SP backtrace becomes its multisocket path, so the workers
// answer it like any request and the reply goes back through the switch to the client that asked. Point
// `nngcat --req --dial tcp://127.0.0.1:PORT --data hello` (or pynng) at the printed address to join in while
// it runs with `--wait`.
import MultiSocketProtocols

func run(waitForOthers: Bool) async throws {
    // Two multisocket workers, each serving on our own wire.
    let workers = [Rep(), Rep()]
    var serving: [Task<Void, any Error>] = []
    let bridge = Switch(back: Socket(sender: .toOne, receiver: .all, options: SocketOptions(identity: .req)),
                        front: Socket(sender: .toDest, receiver: .all, options: SocketOptions(identity: .rep)))
        .start()
    for (number, worker) in workers.enumerated() {
        let bound = try worker.listen("tcp://127.0.0.1:0")
        try await bridge.back.dial("\(bound)")
        serving.append(Task {
            try await worker.serve(workers: 4) { request in
                Array("worker \(number) says: \(request.text.uppercased())".utf8)
            }
        })
    }
    // The switch's front listens for SP requesters.
    let entry = try bridge.front.listen("sp+tcp://127.0.0.1:0")
    print("SP requesters dial \(entry) (NNG form: tcp://127.0.0.1:\(entry.port ?? 0))")

    // Three SP clients, each with a few requests in flight at once.
    let clients = [Req(), Req(), Req()]
    for client in clients { try await client.dial(entry) }
    try await withThrowingTaskGroup(of: String.self) { group in
        for (number, client) in clients.enumerated() {
            for question in ["hello", "how are you"] {
                group.addTask {
                    let reply = try await client.request("client \(number): \(question)", timeout: .seconds(5))
                    return "client \(number) asked '\(question)', got '\(reply)'"
                }
            }
        }
        for try await line in group { print(line) }
    }
    let statistics = bridge.statistics
    print("switch forwarded \(statistics.forwarded) messages, \(statistics.brokenPaths) broken paths")

    if waitForOthers {
        print("waiting for other SP requesters; press Ctrl-C to stop")
        await bridge.wait()
    }
    for client in clients { await client.close() }
    await bridge.front.close()
    await bridge.back.close()
    for worker in workers { await worker.close() }
    for task in serving { try await task.value }
    print("done")
}

try await run(waitForOthers: CommandLine.arguments.contains("--wait"))
