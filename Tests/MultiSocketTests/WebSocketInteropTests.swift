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

    /// A started `python3 <script> <arguments>`, its output pipes, and its standard input.
    struct Running: @unchecked Sendable {
        let process: Process
        let input: Foundation.Pipe
        let output: Foundation.Pipe
        let errors: Foundation.Pipe

        /// The first line the script prints, read on a thread of its own.
        func firstLine() async -> String {
            let handle = output.fileHandleForReading
            return await offloaded {
                var bytes: [UInt8] = []
                while !bytes.contains(10) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    bytes += chunk
                }
                return String(decoding: bytes.prefix { $0 != 10 }, as: UTF8.self)
            }
        }

        /// Waits for the exit, on a thread of its own; returns the status and everything printed.
        func finish() async -> (status: Int32, output: String, errors: String) {
            let process = self.process
            let output = self.output.fileHandleForReading
            let errors = self.errors.fileHandleForReading
            return await offloaded {
                let printed = output.readDataToEndOfFile()
                let complaints = errors.readDataToEndOfFile()
                process.waitUntilExit()
                return (process.terminationStatus, String(decoding: printed, as: UTF8.self),
                        String(decoding: complaints, as: UTF8.self))
            }
        }

        /// Closes its standard input (the echo server's cue to exit) and waits for it.
        func stop() async {
            try? input.fileHandleForWriting.close()
            let process = self.process
            await offloaded { process.waitUntilExit() }
        }
    }

    static func start(_ script: String, _ arguments: [String] = []) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", interop.appendingPathComponent(script).path] + arguments
        let running = Running(process: process, input: Foundation.Pipe(), output: Foundation.Pipe(),
                              errors: Foundation.Pipe())
        process.standardInput = running.input
        process.standardOutput = running.output
        process.standardError = running.errors
        try ProcessLauncher.run(process)
        return running
    }

    /// Whether `python3 -c "import websockets"` succeeds; records a failing issue saying what is missing if not.
    static func requireWebSockets() async -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import websockets"]
        let running = Running(process: process, input: Foundation.Pipe(), output: Foundation.Pipe(),
                              errors: Foundation.Pipe())
        process.standardOutput = running.output
        process.standardError = running.errors
        do {
            try ProcessLauncher.run(process)
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
