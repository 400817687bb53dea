import Foundation
import MultiSocket
import MultiSocketTestSupport
import Testing

/// `mscat` processes over TLS with the test certificates (`TLSFixtures`, made by the run): the listener presents the
/// server certificate, the dialer trusts the test CA (`--cacert`) or nothing (`--insecure`), or the wrong CA
/// and fails. Ports of mscat listeners come from `QuietPort.free()` (the dialer is started after the
/// listener, with `--async`, so it retries until the listener is up).
@Suite("mscat over TLS", .serialized, .timeLimit(.minutes(1)))
struct TLSExchangeTests {
    private static let certificate = TLSFixtures.path("server.pem")
    private static let key = TLSFixtures.path("server.key")
    private static let authority = TLSFixtures.path("ca.pem")

    @Test("req --dial tls+tcp:// with --cacert, rep --listen with --cert and --key")
    func requestReply() async throws {
        let address = "tls+tcp://127.0.0.1:\(try QuietPort.free())"
        let rep = try MSCatProcess(["--rep", "--listen", address, "--cert", Self.certificate, "--key", Self.key,
                                    "-D", "pong", "-A", "--count", "1", "--recv-timeout", "30"])
        let req = try await MSCatProcess.run(["--req", "--dial", address, "--async", "--cacert", Self.authority,
                                             "-D", "ping", "-A", "--recv-timeout", "30"])
        let served = await rep.outcome()
        #expect(req.status == 0, "req: \(req.errors)")
        #expect(req.output == "pong\n")
        #expect(served.status == 0, "rep: \(served.errors)")
        #expect(served.output == "ping\n")
    }

    @Test("wss with the key read from the --cert file, and --insecure on the dialer")
    func combinedFileAndInsecure() async throws {
        let combined = FileManager.default.temporaryDirectory
            .appendingPathComponent("mscat-tls-\(UUID().uuidString).pem").path
        let pem = try String(contentsOfFile: Self.certificate, encoding: .utf8)
            + String(contentsOfFile: Self.key, encoding: .utf8)
        try pem.write(toFile: combined, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: combined) }
        let address = "wss://127.0.0.1:\(try QuietPort.free())/cat"
        let pull = try MSCatProcess(["--pull", "--listen", address, "-E", combined, "-Q", "--count", "1",
                                     "--recv-timeout", "30"])
        let push = try await MSCatProcess.run(["--push", "--dial", address, "--async", "-k", "-D", "secret"])
        let pulled = await pull.outcome()
        #expect(push.status == 0, "push: \(push.errors)")
        #expect(pulled.status == 0, "pull: \(pulled.errors)")
        #expect(pulled.output == "\"secret\"\n")
    }

    @Test("a dialer trusting another CA fails with the verification error")
    func untrustedServer() async throws {
        // The listener is this process's, up before mscat starts: the dial (without --async) meets it at once
        // (port 0, and no run of dialers spawned until one is not refused).
        let server = Socket(options: SocketOptions(connector: .init(endpoint: .init(tls: TLSFixtures.server()))))
        let bound = try server.listen("tls+tcp://127.0.0.1:0")
        let req = try await MSCatProcess.run(["--req", "--dial", "\(bound)", "--cacert",
                                             TLSFixtures.path("other-ca.pem"), "-D", "ping"])
        await server.close()
        #expect(req.status == 1)
        #expect(req.errors.contains("certificate verify failed"), "req: \(req.errors)")
    }
}
