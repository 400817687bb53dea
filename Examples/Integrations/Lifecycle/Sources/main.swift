// A MultiSocket worker server run by swift-service-lifecycle's ServiceGroup, shut down gracefully on SIGTERM.
// The self-check below serves 32 concurrent clients of this process, sends itself SIGTERM mid-load, and checks
// that every request the server read was answered and reached its client before the group returned.
import Glibc
import Logging
import MultiSocketProtocols
import ServiceLifecycle
import Synchronization

let logger = Logger(label: "lifecycle-integration")
let rep = Rep()
let address = try rep.listen("tcp://127.0.0.1:0")
let server = WorkerServer(rep: rep, workers: 8) { request in
    try await Task.sleep(for: .milliseconds(5))  // the work
    return request.body
}
let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger)

// The load: 32 requesters, each asking again as soon as it has its answer, until one goes unanswered (the
// server has gone). They drop what is left queued when they close, without lingering.
var options = SocketOptions()
options.linger = .zero
let clients = (0..<32).map { _ in Req(options: options) }
for client in clients { try await client.dial(address) }
let replies = Mutex(0)
let (halfway, reached) = AsyncStream<Void>.makeStream()
let load = Task {
    await withDiscardingTaskGroup { requests in
        for client in clients {
            requests.addTask {
                while (try? await client.request(Array("work".utf8), timeout: .seconds(5))) != nil {
                    if replies.withLock({ $0 += 1; return $0 }) == 500 { reached.yield() }
                }
            }
        }
    }
}
let stopper = Task {
    for await _ in halfway { break }
    kill(getpid(), SIGTERM)
}

try await group.run()
await load.value
stopper.cancel()
for client in clients { await client.close() }

let read = rep.statistics.messagesReceived
let answered = rep.statistics.messagesSent
let received = replies.withLock { $0 }
print("server read \(read) and answered \(answered); clients received \(received)")
guard read > 0, answered == read, received == read else {
    print("self-check failed")
    exit(1)
}
print("self-check passed")
