import Foundation
import Glibc
import MultiSocketTestSupport
import Testing

/// The built `soak` executable run as a child process, its standard output read line by line as it comes.
///
/// The binary is found beside the running test bundle (`/proc/self/exe`), as `MSCatProcess` finds `mscat`:
/// `swift build` and `swift test` build every product into that directory.
final class SoakProcess: Sendable {
    /// The path of the `soak` binary.
    static let executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("soak")

    private let child: ChildProcess

    /// Starts `soak` with `arguments`.
    init(_ arguments: [String]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "no soak at \(Self.executable.path): run `swift build` first")
        child = try ChildProcess(Self.executable.path, arguments)
    }

    /// Takes lines until one satisfies `match` and returns it; lines before it are consumed. Fails after
    /// `timeout` seconds or if the output ends first.
    @discardableResult
    func line(_ what: String, timeout: Double = 20, where match: @escaping @Sendable (String) -> Bool) async throws
        -> String {
        let output = child.output
        do {
            return try await withTimeout(timeout, what) {
                while let line = try await output.line() {
                    if match(line) { return line }
                }
                throw TimeoutError(what: "\(what) (the output ended)", seconds: 0)
            }
        } catch {
            Issue.record("\(error); output so far: \(printed.suffix(20)); errors: \(errorOutput)")
            throw error
        }
    }

    /// Every whole line printed so far.
    var printed: [String] {
        let text = child.output.receivedText
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return Array(lines.dropLast())
    }

    /// Standard error so far.
    var errorOutput: String { child.errors.receivedText }

    /// Sends `signal` to the process.
    func kill(_ signal: Int32) {
        child.signal(signal)
    }

    /// Waits for the process to exit; returns its status (or the signal that ended it).
    @discardableResult
    func waitForExit() async -> Int32 {
        (try? await child.waitUntilExit())?.status ?? -1
    }

    /// Ends the process (SIGKILL) and waits until it has gone.
    func stop() async {
        kill(SIGKILL)
        await waitForExit()
    }
}
