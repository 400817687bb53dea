import Foundation
import MultiSocket
import MultiSocketTestSupport
import Testing

/// Runs the Python scripts in `Tests/Interop`, which use the `websockets` package from PyPI: code written
/// from RFC 6455 by someone else. Missing python3 or websockets fails the tests (CI installs them).
enum Python {
    static let interop = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Interop")
    static let missing = "python3 with the 'websockets' package is required (python3 -m pip install websockets)"

    /// A started `python3 <script> <arguments>` (or another tool), its output pipes, and its standard input.
    struct Running: Sendable {
        let child: ChildProcess

        /// The first line the script prints (empty if its output ends first).
        func firstLine() async -> String {
            (try? await child.output.line()) ?? ""
        }

        /// Waits for the exit; returns the status and everything printed (status -1 and what had arrived,
        /// when the waiting task is cancelled).
        func finish() async -> (status: Int32, output: String, errors: String) {
            guard let result = try? await child.finish() else {
                return (-1, child.output.receivedText, child.errors.receivedText)
            }
            return (result.termination.status, result.output, result.errors)
        }

        /// Closes its standard input (the echo server's cue to exit) and waits for it.
        func stop() async {
            child.closeInput()
            _ = try? await child.waitUntilExit()
        }
    }

    static func start(_ script: String, _ arguments: [String] = []) throws -> Running {
        Running(child: try ChildProcess("python3", [interop.appendingPathComponent(script).path] + arguments,
                                        input: .pipe))
    }

    /// Whether `python3 -c "import websockets"` succeeds; records a failing issue saying what is missing if not.
    static func requireWebSockets() async -> Bool {
        let running: Running
        do {
            running = Running(child: try ChildProcess("python3", ["-c", "import websockets"]))
        } catch {
            Issue.record("\(missing): cannot run python3: \(error)")
            return false
        }
        let result = await running.finish()
        guard result.status == 0 else {
            Issue.record("\(missing): exit status \(result.status): \(result.errors)")
            return false
        }
        return true
    }
}

/// Interop with Python's `websockets` both ways, over subprotocol multisocket.binary.
@Suite(.timeLimit(.minutes(1)))
struct WebSocketInteropTests {
    /// A Python client sends multisocket frames (whole, fragmented, large) to our listener and checks the
    /// replies our echo socket sends back along each message's path.
    @Test func pythonClientTalksToOurListener() async throws {
        guard await Python.requireWebSockets() else { return }
        let server = Socket()
        let bound = try server.listen("ws://127.0.0.1:0/interop")
        let echo = Task {
            for try await message in server.messages { try await server.sendTo(message.source, message.content) }
        }
        let client = try Python.start("ws_client.py", ["\(bound)"])
        let result = await client.finish()
        #expect(result.status == 0, "ws_client.py: \(result.errors)")
        #expect(result.output == "OK\n")
        #expect(server.statistics.messagesReceived == 3)
        #expect(server.statistics.rejectedFrames == 0)
        await Marry.waitForPipesDown(server, to: 0)
        echo.cancel()
        await server.close()
    }

    /// Our dialer talks to a Python echo server: messages of every length form come back intact, and the
    /// close handshake completes.
    @Test func ourDialerTalksToAPythonServer() async throws {
        guard await Python.requireWebSockets() else { return }
        let python = try Python.start("ws_echo_server.py")
        let line = await python.firstLine()
        guard let port = UInt16(line) else {
            let result = await python.finish()
            Issue.record("ws_echo_server.py printed '\(line)', not a port: \(result.errors)")
            return
        }
        let client = Socket()
        try await client.dial("ws://127.0.0.1:\(port)/echo")
        var random = FastRandom(seed: 5)
        for size in [0, 5, 125, 126, 65_535, 65_536, 100_000] {
            let content = random.bytes(size)
            try await client.send(content)
            let echoed = try await withTimeout(10, "the echo of \(size) bytes") { try await client.receive() }
            #expect(sameBytes(echoed.content, content), "\(size) bytes")
            #expect(echoed.hops == 1)
            #expect(echoed.ttl == 15)
        }
        #expect(client.statistics.rejectedFrames == 0)
        await client.close()
        await python.stop()
    }
}
