import MultiSocketTestSupport
import Foundation
import Glibc
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

    private let child: ChildProcess
    /// The write of `input` and the close of standard input after it (nothing without input).
    private let feeding: Task<Void, Never>?

    /// Starts `mscat` with `arguments`; `input` (if any) is written to its standard input, which is then
    /// closed (without input, standard input is the null device).
    init(_ arguments: [String], input: [UInt8]? = nil) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "no mscat at \(Self.executable.path): run `swift build` first")
        let child = try ChildProcess(Self.executable.path, arguments, input: input == nil ? .null : .pipe)
        self.child = child
        feeding = input.map { bytes in
            Task {
                do {
                    try await child.write(bytes)
                } catch let error as ChildProcessError where error.code != EPIPE {
                    // EPIPE: mscat stopped reading (it had what it needed); its outcome tells the rest.
                    Issue.record("writing mscat's standard input: \(error)")
                } catch {}
                child.closeInput()
            }
        }
    }

    /// Runs `mscat` with `arguments` (and `input`) to its end.
    static func run(_ arguments: [String], input: [UInt8]? = nil) async throws -> Outcome {
        try await MSCatProcess(arguments, input: input).outcome()
    }

    /// Waits for the process to exit and for its output to end (status -1 and what had arrived, when the
    /// waiting task is cancelled).
    func outcome() async -> Outcome {
        await feeding?.value
        guard let result = try? await child.finish() else {
            return Outcome(status: -1, output: child.output.receivedText, errors: child.errors.receivedText)
        }
        return Outcome(status: result.termination.status, output: result.output, errors: result.errors)
    }

    /// Asks the process to end (SIGTERM) and waits until it has.
    func stop() async {
        child.terminate()
        _ = try? await child.waitUntilExit()
    }
}
