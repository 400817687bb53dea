import Foundation
import MultiSocketTestSupport
import Testing

/// The MutualTLS example (`Examples/MutualTLS`) run as the built `MultiSocketMutualTLS` product: it makes
/// its own certificates with `openssl`, shows client-a admitted and client-b refused, cleans up and exits 0.
@Suite(.timeLimit(.minutes(1)))
struct MutualTLSExampleTests {
    /// The binary, beside the running test bundle (`swift build`/`swift test` build every product there).
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("MultiSocketMutualTLS")

    @Test func exampleAdmitsOneClientAndRefusesTheOther() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "no MultiSocketMutualTLS at \(Self.executable.path): run `swift build` first")
        let example = try ChildProcess(Self.executable.path, errors: .sameAsOutput)
        let (termination, transcript) = try await withTimeout(30, "the example to exit") {
            (try await example.waitUntilExit(), try await example.output.text())
        }
        let code = termination.status
        #expect(code == 0, "\(transcript)")
        #expect(transcript.contains("client-a: hello, you said 'ping from a'"), "\(transcript)")
        #expect(transcript.contains("server: refused a pipe: CN=client-b is not on the list"), "\(transcript)")
        #expect(transcript.contains("client-b: refused by the server ("), "\(transcript)")
        #expect(transcript.contains("refused the connection: CN=client-b is not on the list)"), "\(transcript)")
        let directory = transcript.split(separator: "\n").first { $0.hasPrefix("certificates:") }?
            .split(separator: " ").last.map(String.init)
        let made = try #require(directory, "\(transcript)")
        #expect(!FileManager.default.fileExists(atPath: made), "the example left \(made) behind")
    }
}
