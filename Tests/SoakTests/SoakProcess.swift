import Foundation
import Glibc
import MultiSocketTestSupport
import Synchronization
import Testing

/// The built `soak` executable run as a child process, its standard output read line by line as it comes.
///
/// The binary is found beside the running test bundle (`/proc/self/exe`), as `MSCatProcess` finds `mscat`:
/// `swift build` and `swift test` build every product into that directory.
final class SoakProcess: Sendable {
    /// The path of the `soak` binary.
    static let executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("soak")

    /// The lines printed so far and not yet taken by ``line(_:timeout:where:)``, in order.
    private let lines: AsyncStream<String>
    /// Everything printed so far, for messages.
    private let transcript = Transcript()
    private let identifier: Int32
    private let exit: Task<Int32, Never>

    /// Starts `soak` with `arguments`.
    init(_ arguments: [String]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "no soak at \(Self.executable.path): run `swift build` first")
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
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
        let transcript = self.transcript
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    transcript.lines.withLock { $0.append(line) }
                    continuation.yield(line)
                }
            }
            continuation.finish()
        }
        let errorHandle = errorPipe.fileHandleForReading
        Thread.detachNewThread {
            while true {
                let chunk = errorHandle.availableData
                if chunk.isEmpty { break }
                transcript.errors.withLock { $0.append(chunk) }
            }
        }
    }

    /// Takes lines until one satisfies `match` and returns it; lines before it are consumed. Fails after
    /// `timeout` seconds or if the output ends first.
    @discardableResult
    func line(_ what: String, timeout: Double = 20, where match: @escaping @Sendable (String) -> Bool) async throws
        -> String {
        let lines = self.lines
        do {
            return try await withTimeout(timeout, what) {
                for await line in lines where match(line) { return line }
                throw TimeoutError(what: "\(what) (the output ended)", seconds: 0)
            }
        } catch {
            Issue.record("\(error); output so far: \(printed.suffix(20)); errors: \(errorOutput)")
            throw error
        }
    }

    /// Every line printed so far.
    var printed: [String] { transcript.lines.withLock { $0 } }

    /// Standard error so far.
    var errorOutput: String { transcript.errors.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Sends `signal` to the process.
    func kill(_ signal: Int32) {
        _ = Glibc.kill(identifier, signal)
    }

    /// Waits for the process to exit; returns its status (or the signal that ended it).
    @discardableResult
    func waitForExit() async -> Int32 {
        await exit.value
    }

    /// Ends the process (SIGKILL) and waits until it has gone.
    func stop() async {
        kill(SIGKILL)
        await waitForExit()
    }
}

/// What a child printed: standard output as lines, standard error as bytes.
private final class Transcript: Sendable {
    let lines = Mutex<[String]>([])
    let errors = Mutex(Data())
}
