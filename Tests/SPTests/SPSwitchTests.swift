@_spi(Internals) import MultiSocketConnector
import MultiSocketProtocols
import Synchronization
import MultiSocketTestSupport
import Testing

/// The SP backtrace through our switches: requests from SP requesters cross a ``Switch`` to our workers or
/// to SP repliers, and replies come back along the hops they recorded.
extension SPPeerTests {
    @Suite(.timeLimit(.minutes(2)))
    struct SPSwitchTests {
        /// A switch whose front faces SP requesters (a REP towards them) and whose back faces repliers.
        static func makeSwitch() -> Switch {
            Switch(back: Socket(sender: .toOne, receiver: .all, options: SocketOptions(identity: .req)),
                   front: Socket(sender: .toDest, receiver: .all, options: SocketOptions(identity: .rep)))
                .start()
        }

        /// Three pynng REQ clients → a switch (front sp+tcp) → two multisocket Rep workers over our tcp wire;
        /// every client gets its own replies back.
        @Test func pynngClientsThroughASwitchToOurWorkers() async throws {
            guard await SPPeer.requirePynng() else { return }
            let relay = Self.makeSwitch()
            let workers = [Rep(), Rep()]
            var serving: [Task<Void, any Error>] = []
            for worker in workers {
                let bound = try worker.listen("tcp://127.0.0.1:0")
                try await relay.back.dial("\(bound)")
                serving.append(Task { try await worker.serve(workers: 2) { bytes("re:") + $0.body } })
            }
            let entry = try relay.front.listen("sp+tcp://127.0.0.1:0")
            let clients = try (0..<3).map { _ in try SPPeer.pynng("req", "dial", nng(entry), count: 5) }
            for client in clients { await expectSuccess(client, "pynng req through the switch") }
            #expect(relay.statistics.forwarded >= 30)  // a pynng resend on a slow machine forwards more
            #expect(relay.statistics.brokenPaths == 0)
            for task in serving { task.cancel() }
            for worker in workers { await worker.close() }
            await relay.front.close()
            await relay.back.close()
        }

        /// Our Req → a switch → pynng REP over sp+tcp: the request crosses the SP wire with the switch's
        /// front pipe as a backtrace hop, NNG's REP sends it back with the reply, and the switch routes the reply
        /// by it.
        @Test func ourReqThroughASwitchToPynngRep() async throws {
            guard await SPPeer.requirePynng() else { return }
            let peer = try SPPeer.pynng("rep", "listen", "tcp://127.0.0.1:0", count: 3)
            defer { peer.kill() }
            guard let address = await peer.readyAddress() else { return }
            let relay = Self.makeSwitch()
            try await relay.back.dial("sp+" + address)
            let entry = try relay.front.listen("sp+tcp://127.0.0.1:0")
            let req = Req()
            try await req.dial(entry)
            for index in 0..<3 {
                let reply = try await withTimeout(20, "a reply through the switch") {
                    try await req.request(bytes("q\(index)"), timeout: .seconds(15))
                }
                #expect(text(reply) == "re:q\(index)")
            }
            await expectSuccess(peer, "pynng rep behind the switch")
            await req.close()
            await relay.front.close()
            await relay.back.close()
        }

        /// Two of our switches chained over the SP wire: the request reaches the Rep with both switches' pipes
        /// in its path (two backtrace hops on the second SP link), and the reply finds its way back.
        @Test func twoSwitchesChainedOverSP() async throws {
            let rep = Rep()
            let hops = Locked(0)
            let serving = Task {
                try await rep.serve { request in
                    hops.withLock { $0 = request.path.count }
                    return bytes("re:") + request.body
                }
            }
            var next = try rep.listen("sp+tcp://127.0.0.1:0")
            let relays = [Self.makeSwitch(), Self.makeSwitch()]
            for relay in relays.reversed() {
                try await relay.back.dial("\(next)")
                next = try relay.front.listen("sp+ipc://\(SPWire.uniquePath())")
            }
            let req = Req()
            try await req.dial(next)
            let reply = try await withTimeout(10, "a reply through two switches") {
                try await req.request(bytes("deep"), timeout: .seconds(8))
            }
            #expect(text(reply) == "re:deep")
            // The Rep's arrival pipe, then each switch's front pipe, nearest first: as on our own wire.
            #expect(hops.withLock { $0 } == 3)
            serving.cancel()
            await req.close()
            for relay in relays {
                await relay.front.close()
                await relay.back.close()
            }
            await rep.close()
        }
    }
}
