import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Every role against pynng (NNG) on the SP wire, both directions: pynng dials our listener, and we dial
/// pynng's. Each test starts one pynng process (`peers/sp_peer.py`) and waits on its messages, never on time.
@Suite(.timeLimit(.minutes(2)))
struct SPInteropTests {
    /// pynng REQ dials our Rep over sp+tcp: three requests, three replies (checked by the script).
    @Test(arguments: ["sp+tcp://127.0.0.1:0", "sp+ipc:///tmp/ms-sp-rep-\(UInt32.random(in: 0 ... .max))"])
    func pynngReqToOurRep(_ listenAt: String) async throws {
        guard await SPPeer.requirePynng() else { return }
        let rep = Rep()
        let bound = try rep.listen(listenAt)
        let serving = Task { try await rep.serve(workers: 2) { bytes("re:") + $0.body } }
        let peer = try SPPeer.pynng("req", "dial", nng(bound))
        let result = await withTimeoutOrNil(30) { await peer.finish() }
        peer.kill()
        #expect(result?.status == 0, "sp_peer.py: \(result?.output ?? "") \(result?.errors ?? "")")
        #expect(rep.droppedRequests == 0)
        serving.cancel()
        await rep.close()
    }

    /// Our Req dials pynng REP: three concurrent requests each get their own reply.
    @Test func ourReqToPynngRep() async throws {
        guard await SPPeer.requirePynng() else { return }
        let peer = try SPPeer.pynng("rep", "listen", "tcp://127.0.0.1:0")
        defer { peer.kill() }
        guard let address = await peer.readyAddress() else { return }
        let req = Req()
        try await req.dial("sp+" + address)
        try await withTimeout(30, "three replies from pynng") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<3 {
                    group.addTask {
                        let reply = try await req.request(bytes("q\(index)"), timeout: .seconds(20))
                        #expect(text(reply) == "re:q\(index)")
                    }
                }
                try await group.waitForAll()
            }
        }
        let result = await peer.finish()
        #expect(result.status == 0, "sp_peer.py: \(result.output) \(result.errors)")
        await req.close()
    }
}

/// The NNG form of an address we bound (`sp+tcp://…` → `tcp://…`).
func nng(_ address: Address) -> String {
    String("\(address.endpoint)".dropFirst(3))
}

/// `body`'s result, or `nil` after `seconds`.
func withTimeoutOrNil<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async -> T) async -> T? {
    try? await withTimeout(seconds, "a peer process") { await body() }
}
