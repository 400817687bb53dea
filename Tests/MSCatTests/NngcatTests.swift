import MultiSocketTestSupport
import Foundation
import Testing

/// mscat on the Scalability Protocols wire (`sp+tcp://`) against Debian's `nngcat` (nng-utils), each as
/// requester and as replier. Without nngcat the tests fail, saying what to install (CI installs it).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct NngcatTests {
    /// `nngcat` with `arguments`, its output collected; `nil` (with a recorded issue) when it is not installed.
    static func nngcat(_ arguments: [String]) throws -> Process? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/nngcat") else {
            Issue.record("nngcat is required (apt-get install nng-utils)")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nngcat")
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try ProcessLauncher.run(process)
        return process
    }

    /// What `process` printed, once it has exited (on a thread of its own).
    static func finish(_ process: Process) async -> (status: Int32, output: String) {
        await withCheckedContinuation { continuation in
            Thread {
                let output = (process.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self)))
            }.start()
        }
    }

    /// A loopback tcp port free now (bound, then released), for a listener started later. It is taken below
    /// the kernel's ephemeral range (32768 and up), from which port-0 listeners and outgoing connections of the
    /// other tests draw: none of them can take it meanwhile, and a dialer retrying it reaches nobody else.
    static func freePort() throws -> UInt16 {
        for _ in 0..<100 {
            let port = UInt16.random(in: 20_000...32_000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            if bound { return port }
        }
        return try #require(nil as UInt16?, "no free port below the ephemeral range")
    }

    /// `mscat --req --dial sp+tcp://…` against `nngcat --rep --listen tcp://…`.
    @Test func mscatReqToNngcatRep() async throws {
        let port = try Self.freePort()
        guard let rep = try Self.nngcat(["--rep", "--listen", "tcp://127.0.0.1:\(port)", "--data", "pong",
                                         "--quoted", "--count", "1"]) else { return }
        // SIGKILL: the child inherits the test process's blocked signals, so a SIGTERM would never arrive.
        defer { if rep.isRunning { kill(rep.processIdentifier, SIGKILL) } }
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
        let port = try Self.freePort()
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
