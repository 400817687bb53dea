@_spi(Internals) import MultiSocketConnector
import Foundation
import Glibc
import MultiSocketTestSupport
import Testing

/// The built `MultiSocketLifecycleFixture` (Tests/Fixtures/Lifecycle) run as a child process through
/// ``ProcessLauncher``, its standard output read line by line as it comes.
///
/// The binary is found beside the running test bundle (`/proc/self/exe`): `swift build` and `swift test` build
/// every product into that directory.
final class FixtureProcess: Sendable {
    static let executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("MultiSocketLifecycleFixture")

    private let lines: AsyncStream<String>
    private let printedLines = Locked<[String]>([])
    private let errors = Locked(Data())
    private let identifier: Int32
    private let exit: Task<Int32, Never>

    /// Starts the fixture with `arguments`.
    init(_ arguments: [String]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "no MultiSocketLifecycleFixture at \(Self.executable.path): run `swift build` first")
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        // Under the address sanitizer (a CI pass), LeakSanitizer would report at the child's exit what its
        // process-lifetime threads hold; the child is checked for its own behaviour, not for leaks.
        var environment = ProcessInfo.processInfo.environment
        environment["ASAN_OPTIONS"] = [environment["ASAN_OPTIONS"], "detect_leaks=0"].compactMap { $0 }
            .joined(separator: ":")
        process.environment = environment
        let (statuses, status) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            status.yield(process.terminationStatus)
            status.finish()
        }
        let outputPipe = Pipe(), errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        identifier = process.processIdentifier
        exit = Task {
            for await code in statuses { return code }
            return -1
        }
        let (lines, continuation) = AsyncStream<String>.makeStream()
        self.lines = lines
        let output = outputPipe.fileHandleForReading
        let printedLines = self.printedLines
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    printedLines.withLock { $0.append(line) }
                    continuation.yield(line)
                }
            }
            continuation.finish()
        }
        let errorHandle = errorPipe.fileHandleForReading
        let errors = self.errors
        Thread.detachNewThread {
            while true {
                let chunk = errorHandle.availableData
                if chunk.isEmpty { break }
                errors.withLock { $0.append(chunk) }
            }
        }
    }

    /// Takes lines until one starts with `prefix` and returns it. Fails after `timeout` seconds or when the
    /// output ends first.
    func line(startingWith prefix: String, timeout: Double = 30) async throws -> String {
        let lines = self.lines
        do {
            return try await withTimeout(timeout, "a line starting with '\(prefix)'") {
                for await line in lines where line.hasPrefix(prefix) { return line }
                throw TimeoutError(what: "'\(prefix)' (the output ended)", seconds: 0)
            }
        } catch {
            Issue.record("\(error); output: \(printed.suffix(20)); errors: \(errorOutput)")
            throw error
        }
    }

    /// Every line printed so far.
    var printed: [String] { printedLines.withLock { $0 } }

    /// Standard error so far.
    var errorOutput: String { errors.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Sends `signal` to the process.
    func kill(_ signal: Int32) {
        _ = Glibc.kill(identifier, signal)
    }

    /// Waits for the process to exit, at most `timeout` seconds; returns its status.
    func waitForExit(timeout: Double = 30) async throws -> Int32 {
        let exit = self.exit
        return try await withTimeout(timeout, "the fixture to exit") { await exit.value }
    }
}
