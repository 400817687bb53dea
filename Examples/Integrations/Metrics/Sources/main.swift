// MultiSocket statistics as swift-metrics counters and gauges, polled: `SocketMetrics(socket:name:)` and its
// `run(every:)` in a task of its own. The self-check below bootstraps swift-metrics' in-memory test backend
// (MetricsTestKit), serves ten requests over tcp and reads the values back.
import Glibc
import Metrics
import MetricsTestKit
import MultiSocketProtocols

let backend = TestMetrics()
MetricsSystem.bootstrap(backend)

let server = Rep()
let client = Req()
var serverMetrics = SocketMetrics(socket: server.socket, name: "server")
var clientMetrics = SocketMetrics(socket: client.socket, name: "client")

let address = try server.listen("tcp://127.0.0.1:0")
let serving = Task { try await server.serve(workers: 2) { request in request.body } }
try await client.dial(address)
for number in 0..<10 {
    _ = try await client.request(Array("request \(number)".utf8), timeout: .seconds(10))
}
// Polling: a service would run `metrics.run(every: .seconds(10))` in a task; the check reads once.
serverMetrics.update()
clientMetrics.update()

func counter(_ label: String, _ socket: String) throws -> Int64 {
    try backend.expectCounter(label, [("socket", socket)]).totalValue
}
let sent = try counter("multisocket_messages_sent", "client")
let received = try counter("multisocket_messages_received", "server")
let replies = try counter("multisocket_messages_sent", "server")
let pipes = try backend.expectGauge("multisocket_pipes", [("socket", "server")]).lastValue
print("client sent \(sent), server received \(received) and replied \(replies), server pipes \(pipes ?? -1)")

await client.close()
await server.close()
try await serving.value
serverMetrics.update()
let removed = try counter("multisocket_pipes_removed", "server")
let pipesAfter = try backend.expectGauge("multisocket_pipes", [("socket", "server")]).lastValue
print("after close: server pipes removed \(removed), server pipes \(pipesAfter ?? -1)")

guard sent == 10, received == 10, replies == 10, pipes == 1, removed == 1, pipesAfter == 0 else {
    print("self-check failed")
    exit(1)
}
print("self-check passed")
