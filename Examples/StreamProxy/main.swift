// Byte streams through a stream proxy.
//
//   clients ──tcp──▶ [front endpoint ─ StreamProxy ─ back endpoint] ──tcp──▶ echo server
//
// Every stream a client opens to "echo" on the proxy's front is connected onward to the server's "echo"
// listener and copied both ways; a client's half-close reaches the server, which then ends its answer.
// Three clients send 1 MiB each at once and check the echo byte for byte. Then one stream sends
// `--measure N` MiB (default 16) straight to a server that discards them and the rate is printed
// (build with `-c release` for meaningful figures).
import Glibc
import MultiSocketStreams

func fail(_ why: String) -> Never {
    print("FAILED: \(why)")
    exit(1)
}

/// Echoes every stream of `listener` until it closes.
func echo(_ listener: StreamListener) async {
    await withDiscardingTaskGroup { group in
        while let stream = try? await listener.accept() {
            group.addTask {
                do {
                    for try await chunk in stream.chunks { try await stream.write(chunk) }
                    try await stream.closeWrite()
                } catch {
                    print("echo stream ended: \(error)")
                }
                await stream.close()
            }
        }
    }
}

/// Reads and drops everything of every stream of `listener`.
func sink(_ listener: StreamListener) async {
    while let stream = try? await listener.accept() {
        while let _ = try? await stream.read(upToCount: 1 << 20) {}
        await stream.close()
    }
}

var measureMiB = 16
if let index = CommandLine.arguments.firstIndex(of: "--measure"), index + 1 < CommandLine.arguments.count {
    measureMiB = Int(CommandLine.arguments[index + 1]) ?? measureMiB
}

let serverSocket = Socket()
let serverAddress = try serverSocket.listen("tcp://127.0.0.1:0")
let server = StreamEndpoint(socket: serverSocket)
let echoing = Task { await echo(try! server.listen("echo")) }
let sinking = Task { await sink(try! server.listen("sink")) }

let frontSocket = Socket()
let frontAddress = try frontSocket.listen("tcp://127.0.0.1:0")
let backSocket = Socket()
try await backSocket.dial("\(serverAddress)")
let front = StreamEndpoint(socket: frontSocket)
let back = StreamEndpoint(socket: backSocket)
let proxy = StreamProxy(front: try front.listen("echo"), back: back, name: "echo")
let proxying = Task { await proxy.run() }
print("server on \(serverAddress), proxy on \(frontAddress)")

let clientSocket = Socket()
try await clientSocket.dial("\(frontAddress)")
let client = StreamEndpoint(socket: clientSocket)

try await withThrowingTaskGroup(of: Void.self) { group in
    for number in 0..<3 {
        group.addTask {
            var generator = SystemRandomNumberGenerator()
            let data = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let stream = try await client.connect("echo", timeout: .seconds(10))
            async let sending: Void = {
                var offset = 0
                while offset < data.count {
                    let count = min(data.count - offset, Int.random(in: 1...100_000))
                    try await stream.write(data[offset..<offset + count])
                    offset += count
                }
                try await stream.closeWrite()
            }()
            var echoed = [UInt8]()
            for try await chunk in stream.chunks { echoed += chunk }
            try await sending
            guard echoed == data else { fail("client \(number): the echo differs") }
            print("client \(number): 1 MiB echoed through the proxy, byte for byte")
            await stream.close()
        }
    }
    try await group.waitForAll()
}

// One stream straight to the server's sink, in 64 KiB writes.
let direct = Socket()
try await direct.dial("\(serverAddress)")
let directEndpoint = StreamEndpoint(socket: direct)
let stream = try await directEndpoint.connect("sink", timeout: .seconds(10))
let block = [UInt8](repeating: 0x5A, count: 64 * 1024)
let started = ContinuousClock.now
for _ in 0..<(measureMiB * 16) { try await stream.write(block) }
try await stream.closeWrite()
guard try await stream.read(upToCount: 1) == nil else { fail("the sink answered") }
let elapsed = ContinuousClock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("one stream over tcp: \(measureMiB) MiB in 64 KiB writes, \(Int(Double(measureMiB) * 1.048576 / seconds)) MB/s")
await stream.close()

proxying.cancel()
for endpoint in [directEndpoint, client, front, back, server] { await endpoint.close() }
await proxying.value
await echoing.value
await sinking.value
for socket in [direct, clientSocket, frontSocket, backSocket, serverSocket] { await socket.close() }
print("done")
