import MultiSocketTestSupport
import Foundation
import Synchronization
import Testing

/// The built `mscat` executable run as a child process, with its standard output and error collected.
///
/// The binary is found beside the running test bundle (`/proc/self/exe`): SwiftPM puts every product of a
/// build in one directory (`.build/debug`, or `<scratch-path>/debug`), and `swift build` / `swift test` build
/// the `mscat` product along with the tests.
struct MSCatProcess: Sendable {
    /// What a finished run left behind.
    struct Outcome: Sendable {
        /// The exit status (or the signal number, when killed).
        let status: Int32
        /// Standard output as text.
        let output: String
        /// Standard error as text.
        let errors: String
    }

    /// The path of the `mscat` binary.
    static let executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("mscat")

    private static let sequence = Atomic(0)

    /// A fresh ipc address, unique to this test process and call.
    static func uniqueAddress() -> String {
        "ipc:///tmp/mscat-\(getpid())-\(sequence.add(1, ordering: .relaxed).newValue).sock"
    }

    private let identifier: Int32
    private let exit: Task<Int32, Never>
    private let output: Task<Data, Never>
    private let errors: Task<Data, Never>

    /// Starts `mscat` with `arguments`; `input` (if any) is written to its standard input, which is then
    /// closed (without input, standard input is the null device).
    init(_ arguments: [String], input: [UInt8]? = nil) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "no mscat at \(Self.executable.path): run `swift build` first")
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let (statuses, status) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            status.yield(process.terminationStatus)
            status.finish()
        }
        let outputPipe = Pipe(), errorPipe = Pipe(), inputPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try ProcessLauncher.run(process)
        identifier = process.processIdentifier
        if let input {
            try inputPipe.fileHandleForWriting.write(contentsOf: input)
            try inputPipe.fileHandleForWriting.close()
        }
        exit = Task {
            for await code in statuses { return code }
            return -1
        }
        output = Self.readToEnd(outputPipe.fileHandleForReading)
        errors = Self.readToEnd(errorPipe.fileHandleForReading)
    }

    /// Runs `mscat` with `arguments` (and `input`) to its end.
    static func run(_ arguments: [String], input: [UInt8]? = nil) async throws -> Outcome {
        try await MSCatProcess(arguments, input: input).outcome()
    }

    /// Waits for the process to exit and for its output to end.
    func outcome() async -> Outcome {
        let status = await exit.value
        return Outcome(status: status, output: String(decoding: await output.value, as: UTF8.self),
                       errors: String(decoding: await errors.value, as: UTF8.self))
    }

    /// Asks the process to end (SIGTERM) and waits until it has.
    func stop() async {
        kill(identifier, SIGTERM)
        _ = await exit.value
    }

    /// Reads `handle` to its end on a thread of its own (the read blocks until the child closes the pipe).
    private static func readToEnd(_ handle: FileHandle) -> Task<Data, Never> {
        Task {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
            }
        }
    }
}
