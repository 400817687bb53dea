import MultiSocketTestSupport
import Foundation
import Testing

/// mscat on the Scalability Protocols wire (`sp+tcp://`) against Debian's `nngcat` (nng-utils), each as
/// requester and as replier. Without nngcat the tests fail, saying what to install (CI installs it).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct NngcatTests {
    /// `nngcat` with `arguments`, its output collected; `nil` (with a recorded issue) when it is not installed.
    static func nngcat(_ arguments: [String]) throws -> ChildProcess? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/nngcat") else {
            Issue.record("nngcat is required (apt-get install nng-utils)")
            return nil
        }
        return try ChildProcess("/usr/bin/nngcat", arguments)
    }

    /// What `process` printed, once it has exited (status -1 and what had arrived, when cancelled).
    static func finish(_ process: ChildProcess) async -> (status: Int32, output: String) {
        guard let result = try? await process.finish() else { return (-1, process.output.receivedText) }
        return (result.termination.status, result.output)
    }

    /// `mscat --req --dial sp+tcp://…` against `nngcat --rep --listen tcp://…`.
    @Test func mscatReqToNngcatRep() async throws {
        let port = try QuietPort.free()
        guard let rep = try Self.nngcat(["--rep", "--listen", "tcp://127.0.0.1:\(port)", "--data", "pong",
                                         "--quoted", "--count", "1"]) else { return }
        defer { rep.kill() }
        let req = try await MSCatProcess.run(["--req", "--dial", "sp+tcp://127.0.0.1:\(port)", "--async",
                                              "--data", "ping", "--ascii", "--recv-timeout", "20"])
        #expect(req.status == 0, "mscat: \(req.errors)")
        #expect(req.output == "pong\n")
        let served = await Self.finish(rep)
        #expect(served.status == 0)
        #expect(served.output == "\"ping\"\n")
    }

    /// `nngcat --req --dial tcp://…` against `mscat --rep --listen sp+tcp://…`.
    @Test func nngcatReqToMscatRep() async throws {
        let port = try QuietPort.free()
        let rep = try MSCatProcess(["--rep", "--listen", "sp+tcp://127.0.0.1:\(port)", "--data", "pong", "--ascii",
                                    "--count", "1", "--recv-timeout", "20"])
        // --async: nngcat keeps dialing in the background until mscat listens.
        guard let req = try Self.nngcat(["--req", "--dial", "tcp://127.0.0.1:\(port)", "--async", "--data", "ping",
                                         "--quoted", "--recv-timeout", "20"]) else { return }
        let (status, output) = await Self.finish(req)
        #expect(status == 0)
        #expect(output == "\"pong\"\n")
        let served = await rep.outcome()
        #expect(served.status == 0, "mscat: \(served.errors)")
        #expect(served.output == "ping\n")
    }
}
