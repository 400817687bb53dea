// Plain TCP clients reach a stream server through a switch.
//
//   nc / Python / plain TCP ──tcp, raw──▶ [raw socket ─ StreamProxy ─ stream socket] ──tcp──▶ switch ──tcp──▶ server
//
// The raw socket listens with `raw=true`: each TCP connection becomes a stream on its `listenRaw()`
// listener, which the proxy connects onward to the server's "upper" listener, through a Switch. The server
// upper-cases what it reads. Three plain TCP clients (Glibc sockets, on threads of their own) send text and
// check the answer. With `--wait` it keeps running: try `nc 127.0.0.1 PORT` and type.
import Foundation
import MultiSocketStreams

func fail(_ why: String) -> Never {
    print("FAILED: \(why)")
    exit(1)
}

/// Upper-cases every stream of `listener`.
func upper(_ listener: StreamListener) async {
    await withDiscardingTaskGroup { group in
        while let stream = try? await listener.accept() {
            group.addTask {
                do {
                    for try await chunk in stream.chunks {
                        try await stream.write(chunk.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 })
                    }
                } catch {}
                await stream.close()
            }
        }
    }
}

/// A blocking TCP client: sends `text` from one thread, reads as many bytes back on another, closes.
func plainClient(port: UInt16, text: [UInt8]) async -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { fail("connect: errno \(errno)") }
    Thread {
        var offset = 0
        while offset < text.count {
            let written = text[offset...].withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }.start()
    return await withCheckedContinuation { continuation in
        Thread {
            var answer = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while answer.count < text.count {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if count <= 0 { break }
                answer += buffer[0..<count]
            }
            close(fd)
            continuation.resume(returning: answer)
        }.start()
    }
}

let serverSocket = Socket()
let serverAddress = try serverSocket.listen("tcp://127.0.0.1:0")
let server = StreamEndpoint(socket: serverSocket)
let serving = Task { await upper(try! server.listen("upper")) }

let back = Socket()
try await back.dial("\(serverAddress)")
let front = Socket()
let frontAddress = try front.listen("tcp://127.0.0.1:0")
let hub = Switch(back: back, front: front).start()

let streamSocket = Socket()
try await streamSocket.dial("\(frontAddress)")
let rawSocket = Socket()
let rawAddress = try rawSocket.listen("tcp://127.0.0.1:0?raw=true")
let streams = StreamEndpoint(socket: streamSocket)
let raw = StreamEndpoint(socket: rawSocket)
let bridge = StreamProxy(front: try raw.listenRaw(), back: streams, name: "upper")
let bridging = Task { await bridge.run() }
print("plain TCP clients connect to 127.0.0.1:\(rawAddress.port ?? 0) (server \(serverAddress), switch \(frontAddress))")

for number in 0..<3 {
    let text = Array(String(repeating: "plain client \(number) says hello through the switch\n", count: 20_000).utf8)
    let answer = await plainClient(port: rawAddress.port ?? 0, text: text)
    guard answer == Array(String(decoding: text, as: UTF8.self).uppercased().utf8) else {
        fail("client \(number): got \(answer.count) bytes, not the upper-cased \(text.count)")
    }
    print("client \(number): \(text.count) bytes upper-cased by the stream server")
}

if CommandLine.arguments.contains("--wait") {
    print("waiting; press Ctrl-C to stop")
    while true { try await Task.sleep(for: .seconds(3600)) }
}

bridging.cancel()
for endpoint in [raw, streams, server] { await endpoint.close() }
await bridging.value
await serving.value
await hub.stop()
for socket in [rawSocket, streamSocket, front, back, serverSocket] { await socket.close() }
print("done")
