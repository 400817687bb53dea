// The newcomer's first app, written with the everyday API: an 8-worker JSON order server behind an auth
// switch, a client with 1000 concurrent requests, order events over pub/sub, and a graceful shutdown on
// SIGTERM. `swift run MultiSocketNewcomer` runs it all in one process, checks what happened and exits 0.
import Dispatch
import MultiSocketCodable
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct Order: Codable, Sendable {
    var item: String
    var quantity: Int
    var token: String
}

struct Receipt: Codable, Sendable {
    var accepted: Bool
    var total: Int
    var note: String
}

struct OrderEvent: Codable, Sendable {
    var item: String
    var quantity: Int
}

/// A token check that waits, as one against another service would.
func isValid(_ token: String) async -> Bool {
    try? await Task.sleep(for: .milliseconds(1))
    return token == "secret"
}

/// Returns once the process receives SIGTERM (whose default action, ending the process, is turned off).
func terminationRequested() async {
    signal(SIGTERM, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGTERM)
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let waiting = Mutex<CheckedContinuation<Void, Never>?>(done)
        source.setEventHandler { @Sendable in waiting.withLock { $0.take() }?.resume() }
        source.resume()
    }
    source.cancel()
}

@main
struct Newcomer {
    static func main() async throws {
        // The server: 8 workers answer orders and publish an event for each.
        let server = Rep()
        let events = Pub()
        let serverAddress = try server.listen("tcp://127.0.0.1:0")
        let eventsAddress = try events.listen("tcp://127.0.0.1:0")
        let serving = Task {
            try await server.serve(workers: 8, decoding: Order.self) { order, _ in
                try await events.publish(encoding: OrderEvent(item: order.item, quantity: order.quantity))
                return Receipt(accepted: true, total: order.quantity * 3, note: "thanks")
            }
        }

        // The auth switch: checks each order's token (up to 32 at once) and answers a bad one itself.
        let front = Socket(sender: .toDest, receiver: .all, options: SocketOptions(identity: .rep))
        let back = Socket(sender: .toOne, receiver: .all, options: SocketOptions(identity: .req))
        let auth = Switch(back: back, front: front, concurrency: 32) { message, direction in
            guard direction == .frontToBack, let (id, body) = ProtocolHeader.split(message) else {
                return .forward(message)
            }
            if let order = try? JSONMessageCoder().value(Order.self, from: body), await isValid(order.token) {
                return .forward(message)
            }
            let refusal = Receipt(accepted: false, total: 0, note: "bad token")
            return .answer(ProtocolHeader.prepend(id, to: (try? JSONMessageCoder().content(of: refusal)) ?? []))
        }.start()
        try await back.dial("\(serverAddress)")
        let entry = try front.listen("tcp://127.0.0.1:0")

        // A subscriber counts the events.
        let subscriber = Sub()
        try await subscriber.dial("\(eventsAddress)")
        subscriber.subscribe([])
        let counting = Task {
            var count = 0
            while count < 900, (try? await subscriber.receive(decoding: OrderEvent.self)) != nil { count += 1 }
            return count
        }

        // SIGTERM shuts the server down gracefully: every order it read is answered first.
        let shutDown = Task {
            await terminationRequested()
            await server.shutdown()
        }

        // The client: 1000 orders at once, one in ten with a bad token.
        let client = Req()
        try await client.dial("\(entry)")
        try await client.waitForPeers(1, timeout: .seconds(5))
        let receipts = try await withThrowingTaskGroup(of: Receipt.self) { group in
            for number in 0..<1000 {
                let order = Order(item: "item-\(number)", quantity: number % 7 + 1,
                                  token: number % 10 == 0 ? "guess" : "secret")
                group.addTask { try await client.request(order, as: Receipt.self) }
            }
            var receipts: [Receipt] = []
            for try await receipt in group { receipts.append(receipt) }
            return receipts
        }
        let accepted = receipts.filter(\.accepted).count
        let published = await counting.value
        print("orders: \(accepted) accepted, \(receipts.count - accepted) refused by the switch; \(published) events")

        kill(getpid(), SIGTERM)
        await shutDown.value
        try await serving.value
        print("server shut down after answering every order it read (\(server.socket.statistics.messagesReceived) messages)")
        await auth.stop()
        for socket in [front, back] { await socket.close() }
        await client.close()
        await subscriber.close()
        await events.close()
        guard accepted == 900, published == 900 else { fatalError("expected 900 accepted orders and events") }
    }
}
