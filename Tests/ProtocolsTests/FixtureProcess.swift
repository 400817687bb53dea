import Foundation
import Glibc
import MultiSocketTestSupport
import Testing

/// The built `MultiSocketLifecycleFixture` (Tests/Fixtures/Lifecycle) run as a child process (a
/// ``ChildProcess``), its standard output read line by line as it comes.
///
/// The binary is found beside the running test bundle (`/proc/self/exe`): `swift build` and `swift test` build
/// every product into that directory.
final class FixtureProcess: Sendable {
    static let executable: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("MultiSocketLifecycleFixture")

    private let child: ChildProcess

    /// Starts the fixture with `arguments`.
    init(_ arguments: [String]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "no MultiSocketLifecycleFixture at \(Self.executable.path): run `swift build` first")
        // Under the address sanitizer (a CI pass), LeakSanitizer would report at the child's exit what its
        // process-lifetime threads hold; the child is checked for its own behaviour, not for leaks.
        var environment = ProcessInfo.processInfo.environment
        environment["ASAN_OPTIONS"] = [environment["ASAN_OPTIONS"], "detect_leaks=0"].compactMap { $0 }
            .joined(separator: ":")
        child = try ChildProcess(Self.executable.path, arguments, environment: environment)
    }

    /// Takes lines until one starts with `prefix` and returns it. Fails after `timeout` seconds or when the
    /// output ends first.
    func line(startingWith prefix: String, timeout: Double = 30) async throws -> String {
        let output = child.output
        do {
            return try await withTimeout(timeout, "a line starting with '\(prefix)'") {
                while let line = try await output.line() {
                    if line.hasPrefix(prefix) { return line }
                }
                throw TimeoutError(what: "'\(prefix)' (the output ended)", seconds: 0)
            }
        } catch {
            Issue.record("\(error); output: \(printed.suffix(20)); errors: \(errorOutput)")
            throw error
        }
    }

    /// Every whole line printed so far.
    var printed: [String] {
        let text = child.output.receivedText
        return Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast())
    }

    /// Standard error so far.
    var errorOutput: String { child.errors.receivedText }

    /// Sends `signal` to the process.
    func kill(_ signal: Int32) {
        child.signal(signal)
    }

    /// Waits for the process to exit, at most `timeout` seconds; returns its status.
    func waitForExit(timeout: Double = 30) async throws -> Int32 {
        let child = self.child
        return try await withTimeout(timeout, "the fixture to exit") { try await child.waitUntilExit().status }
    }
}
