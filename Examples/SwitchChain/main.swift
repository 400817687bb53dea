// A chain of three switches between Req clients and a Rep server:
//
//   clients → [logger] → [rewriter] → [firewall] → server
//
// The logger prints every message both ways, the rewriter upper-cases request bodies, and the firewall
// drops requests that contain "forbidden". Replies find their way back through all three switches
// along the path each request recorded; a dropped request makes its client time out.
import MultiSocketProtocols

/// A switch whose front faces requesters (it acts as a REP towards them) and whose back faces repliers
/// (a REQ towards them), so role checks pass along the chain.
func makeSwitch(_ middleware: @escaping Switch.Middleware) -> Switch {
    Switch(back: Socket(sender: .toOne, receiver: .all, options: SocketOptions(identity: .req)),
           front: Socket(sender: .toDest, receiver: .all, options: SocketOptions(identity: .rep)),
           middleware: middleware).start()
}

func run() async throws {
    let logger = makeSwitch { message, direction in
        guard let (_, body) = ProtocolHeader.split(message) else { return message }
        let arrow = direction == .frontToBack ? "request →" : "reply   ←"
        print("  [logger]   \(arrow) '\(String(decoding: body, as: UTF8.self))' path \(message.source)")
        return message
    }
    let rewriter = makeSwitch { message, direction in
        guard direction == .frontToBack, let (id, body) = ProtocolHeader.split(message) else { return message }
        var rewritten = message
        rewritten.content = ProtocolHeader.prepend(id, to: Array(String(decoding: body, as: UTF8.self).uppercased().utf8))  // same id
        return rewritten
    }
    let firewall = makeSwitch { message, direction in
        if direction == .frontToBack, let (_, body) = ProtocolHeader.split(message),
           String(decoding: body, as: UTF8.self).contains("FORBIDDEN") {
            print("  [firewall] dropped a request")
            return nil
        }
        return message
    }
    let server = Rep()
    let chain = [logger, rewriter, firewall]

    // Wire it up from the server outwards: each switch's back dials the next hop's listener.
    var next = try server.listen("tcp://127.0.0.1:0")
    for relay in chain.reversed() {
        try await relay.back.dial("\(next)")
        next = try relay.front.listen("tcp://127.0.0.1:0")
    }
    let entry = next
    print("clients dial the logger at \(entry)")

    let serving = Task {
        try await server.serve(workers: 2) { request in
            print("  [server]   got '\(request.text)' after \(request.path.count) hops")
            return Array("echo: \(request.text)".utf8)
        }
    }

    let clients = [Req(), Req()]
    for client in clients { try await client.dial(entry) }
    let requests = [(0, "hello"), (1, "how are you"), (0, "a forbidden question"), (1, "bye")]
    for (number, body) in requests {
        print("client \(number) asks '\(body)'")
        do {
            let reply = try await clients[number].request(body, timeout: .milliseconds(500))
            print("client \(number) got '\(reply)'")
        } catch let error as MultiSocketError where error.code == .timedOut {
            print("client \(number) timed out (the firewall dropped it)")
        }
    }
    for (name, relay) in zip(["logger", "rewriter", "firewall"], chain) {
        let statistics = relay.statistics
        print("\(name): forwarded \(statistics.forwarded), dropped \(statistics.droppedByMiddleware)")
    }

    for client in clients { await client.close() }
    for relay in chain {
        await relay.front.close()
        await relay.back.close()
    }
    await server.close()
    try await serving.value
    print("done")
}

try await run()
