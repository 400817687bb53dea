// The MultiSocket demo: a tcp server whose 4 worker tasks answer any request with
// `sendTo(message.source, …)`, a switch in front of it, and clients that send and receive independently.
import MultiSocketProtocols

let clientCount = 3
let requestsPerClient = 5

// The server: one socket, four workers receiving from it concurrently.
let server = Socket()
let serverAddress = try server.listen("tcp://127.0.0.1:0")
print("server   listening on \(serverAddress)")
let workers = (1...4).map { worker in
    Task {
        var handled = 0
        for try await request in server.messages {
            let reply = "worker \(worker) handled '\(request.text)' (hops \(request.hops), path \(request.source))"
            try await server.sendTo(request.source, reply)
            handled += 1
        }
        return handled
    }
}

// A switch: its back socket dials the server, its front socket listens for clients.
let back = Socket()
let front = Socket()
let frontAddress = try front.listen("tcp://127.0.0.1:0")
try await back.dial("\(serverAddress)")
// It forwards in a task it owns from start() until its sockets close (a service would call run() instead).
let relay = Switch(back: back, front: front) { message, direction in
    if direction == .frontToBack { print("switch   forwarding '\(message.text)' toward the server") }
    return message
}.start()
print("switch   front listening on \(frontAddress), back dialed \(serverAddress)")

// Clients: each sends on one task and receives on another.
let clients = (1...clientCount).map { _ in Socket() }
for client in clients { try await client.dial("\(frontAddress)") }
try await withThrowingTaskGroup(of: Void.self) { group in
    for (index, client) in clients.enumerated() {
        let name = "client \(index + 1)"
        group.addTask {
            for number in 1...requestsPerClient {
                try await client.send("\(name) request \(number)")
            }
        }
        group.addTask {
            for _ in 1...requestsPerClient {
                let reply = try await client.receive()
                print("\(name) got: \(reply.text)")
            }
        }
    }
    try await group.waitForAll()
}

// Shut down: clients, switch, server; the workers end when the server closes.
for client in clients { await client.close() }
await front.close()
await back.close()
await relay.wait()
let served = server.statistics
await server.close()
var perWorker: [Int] = []
for worker in workers { perWorker.append(try await worker.value) }
print("server   received \(served.messagesReceived) requests, sent \(served.messagesSent) replies; per worker \(perWorker)")
print("switch   forwarded \(relay.statistics.forwarded) messages")
