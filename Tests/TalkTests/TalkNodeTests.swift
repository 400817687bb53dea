import Foundation
@_spi(Internals) import MultiSocketConnector
import MultiSocketTalk
import MultiSocketTestSupport
import Testing

/// Runs `node` on a script of `Tests/Interop`; a missing node fails the test (CI installs it).
enum Node {
    static let interop = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Interop")

    /// Runs `node --experimental-websocket <script> <arguments>` to its end; returns its status and everything
    /// it printed (standard output and error, interleaved).
    /// - Throws: ``ChildProcessError`` when node is not installed; `CancellationError` when cancelled.
    static func run(_ script: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let node = try ChildProcess("node", ["--no-warnings", "--experimental-websocket",
                                             interop.appendingPathComponent(script).path] + arguments,
                                    errors: .sameAsOutput)
        let result = try await node.finish()
        return (result.termination.status, result.output)
    }
}

/// The JavaScript client (`multisocket.js`, served by the ws listener) in Node against a Swift Talk server.
@Suite(.timeLimit(.minutes(1)))
struct TalkNodeTests {
    /// The embedded copy of the script is the file in the repository.
    @Test func embeddedScriptIsTheFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Talk/JavaScript/multisocket.js")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == TalkWebClient.source + "\n" || text == TalkWebClient.source,
                "run Sources/Talk/JavaScript/embed.sh")
    }

    /// Node fetches the script (200, then 304 for its ETag), and its Talk calls the server (JSON, bytes,
    /// an error, an unknown operation, a streaming result, a streaming request), answers the server's call
    /// back while the server answers it, receives notifications, and exchanges heartbeats.
    @Test func nodeClientAgainstSwiftServer() async throws {
        // Heartbeats are exchanged and seen; dead-peer detection is the Swift tests' business (a loaded machine
        // may hold either side up for seconds).
        var configuration = fastHeartbeats(.milliseconds(200), missed: 100)
        configuration.load = { 0.5 }
        let server = Talk(configuration: configuration)
        let heartbeats = Locked<[TalkHeartbeat]>([])
        let events = Happenings()
        server.onHeartbeat { beat in
            heartbeats.withLock { $0.append(beat) }
            guard !beat.isHello else { return }
            Task { try await server.notify("beat-seen", bytes("\(beat.load)"), to: [beat.pipeID]) }
        }
        server.handle("greet") { (greeting: Greeting, _) in Greeting(name: "hello " + greeting.name, count: 2) }
        server.handle("fail") { _ in throw Refusal(reason: "no such luck") }
        server.handle("hello") { request in
            let answer = try await request.call("ask", request.payload)
            try await request.notify("greeted", bytes("greeted \(text(request.payload))"))
            return bytes("hello, \(text(answer))")
        }
        server.handleStream("count") { stream, request in
            for index in 1...(Int(text(request.payload)) ?? 0) { try await stream.send(bytes("\(index)")) }
        }
        server.handleStream("sum") { stream, _ in
            var total = 0
            while let value = try await stream.next(Int.self) { total += value }
            try await stream.send(value: total)
        }
        server.onNotification("ready") { note in
            let peer = note.peer
            Task {
                let result = try await server.call("double", 21, as: Int.self, options: TalkCallOptions(to: peer))
                events.note("doubled \(result)")
                try await server.notify("doubled", value: result, to: peer)
            }
        }
        var endpoint = EndpointOptions()
        endpoint.webResources = TalkWebClient.resources()
        let address = try server.socket.listen("ws://127.0.0.1:0/talk", options: endpoint)
        let port = address.port ?? 0
        let socketEvents = server.socket.events()
        let seen = Task {
            var lines: [String] = []
            for await event in socketEvents { lines.append("\(ContinuousClock.now) \(event)") }
            return lines
        }
        let (status, output) = try await withTimeout(40, "node client") {
            try await running([server]) {
                try await Node.run("talk_client.mjs", ["ws://127.0.0.1:\(port)/talk",
                                                       "http://127.0.0.1:\(port)/talk/multisocket.js"])
            }
        }
        #expect(status == 0, "\(output)")
        if status != 0 { print("server socket events: \(await seen.value)\nserver talk statistics: \(server.talkStatistics)") }
        let lines = Set(output.split(separator: "\n").map(String.init))
        for expected in [
            "http: 200 text/javascript; charset=utf-8 then 304 same-etag=true",
            "greet: hello js",
            "hello: hello, node (asked hi)",
            "greeted: greeted hi",
            "fail: true handlerFailed refused: no such luck",
            "missing: unknownOperation",
            "stream: 1,2,3,4",
            "sum: 10",
            "doubled: 42",
            "heartbeat: interval=200",
            "server saw heartbeat: 0.25",
            "done: ok",
        ] {
            #expect(lines.contains(expected), "missing '\(expected)' in:\n\(output)")
        }
        #expect(events.all.contains("doubled 42"))
        let beats = heartbeats.withLock { $0 }
        #expect(beats.contains { $0.isHello })
        #expect(beats.contains { !$0.isHello && abs($0.load - 0.25) < 0.01 })
    }
}
