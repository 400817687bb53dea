import Foundation
import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Which end listens.
enum Side: String, Sendable, CaseIterable, CustomTestStringConvertible {
    /// We listen, pynng dials.
    case weListen
    /// pynng listens, we dial.
    case weDial
    var testDescription: String { rawValue }
}

/// Which SP transport mapping.
enum SPWire: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case tcp, ipc, ws
    var testDescription: String { rawValue }

    /// An address for us to listen on.
    var ourListenAddress: String {
        switch self {
        case .tcp: "sp+tcp://127.0.0.1:0"
        case .ipc: "sp+ipc://\(Self.uniquePath())"
        case .ws: "sp+ws://127.0.0.1:0/sp"
        }
    }

    /// An address for pynng to listen on (port 0 is replaced by the script).
    var peerListenAddress: String {
        switch self {
        case .tcp: "tcp://127.0.0.1:0"
        case .ipc: "ipc://\(Self.uniquePath())"
        case .ws: "ws://127.0.0.1:0/sp"
        }
    }

    static func uniquePath() -> String {
        "/tmp/ms-sp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    }
}

/// Connects `ours` with a pynng peer playing `peerRole` over `wire`, `side` listening, and returns the peer
/// once both ends have the pipe.
func pynngPeer(_ peerRole: String, for ours: some ProtocolRole, _ side: Side, _ wire: SPWire,
               count: Int = 3) async throws -> SPPeer? {
    // Watched from the start: a pipe that comes and goes before the wait below still counts as connected
    // (a rejection then shows in what the peer reports).
    let events = ours.events()
    let peer: SPPeer
    switch side {
    case .weListen:
        let bound = try ours.listen(wire.ourListenAddress)
        peer = try SPPeer.pynng(peerRole, "dial", nng(bound), count: count)
        guard await peer.readyAddress() != nil else { return nil }
    case .weDial:
        peer = try SPPeer.pynng(peerRole, "listen", wire.peerListenAddress, count: count)
        guard let address = await peer.readyAddress() else { return nil }
        try await ours.dial("sp+" + address)
    }
    do {
        try await withTimeout(20, "the pipe to pynng") {
            await Marry.waitForPipe(events, unlessAlready: ours.statistics.pipesAdded > 0)
        }
    } catch {
        peer.kill()
        let result = await peer.finish()
        let statistics = ours.statistics
        Issue.record("no pipe to pynng \(peerRole); ours: \(statistics); it said \(result.output) \(result.errors)")
        throw error
    }
    return peer
}

/// Waits for the peer's exit and expects `ok`.
func expectSuccess(_ peer: SPPeer, _ what: String) async {
    let result = await withTimeoutOrNil(40) { await peer.finish() }
    if result == nil { await peer.stop() }
    #expect(result?.status == 0, "\(what): \(result?.output ?? "no exit") \(result?.errors ?? "")")
}

/// Every role against pynng (NNG) on the SP wire, both directions (pynng dials our listener; we dial
/// pynng's), over tcp, ipc and ws. Each test starts one pynng process
/// (`peers/sp_peer.py`) and waits on its messages, never on time.
extension SPPeerTests {
    @Suite(.timeLimit(.minutes(2)))
    struct SPInteropTests {
        static let wires = SPWire.allCases

        /// pynng REQ sends three requests in turn (resending after 5 s); our Rep, with two workers, answers each.
        @Test(arguments: Side.allCases, wires)
        func pynngReqToOurRep(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let rep = Rep()
            let serving = Task { try await rep.serve(workers: 2) { bytes("re:") + $0.body } }
            if let peer = try await pynngPeer("req", for: rep, side, wire) { await expectSuccess(peer, "pynng req") }
            #expect(rep.droppedRequests == 0)
            serving.cancel()
            await rep.close()
        }

        /// Our Req sends three concurrent requests to pynng REP; each gets its own reply.
        @Test(arguments: Side.allCases, wires)
        func ourReqToPynngRep(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let req = Req()
            guard let peer = try await pynngPeer("rep", for: req, side, wire) else { return }
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
            await expectSuccess(peer, "pynng rep")
            #expect(req.droppedReplies == 0)
            await req.close()
        }

        /// Our Pub publishes topics a and b until pynng SUB, subscribed to a, has three messages that all start
        /// with a.
        @Test(arguments: Side.allCases, wires)
        func ourPubToPynngSub(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let pub = Pub()
            guard let peer = try await pynngPeer("sub", for: pub, side, wire) else { return }
            // NNG's SUB filters on its side: keep publishing until it has three matching messages.
            let publishing = Task {
                var index = 0
                while !Task.isCancelled {
                    try await pub.publish(bytes("a\(index)"))
                    try await pub.publish(bytes("b\(index)"))
                    index += 1
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            await expectSuccess(peer, "pynng sub")
            publishing.cancel()
            await pub.close()
        }

        /// pynng PUB publishes topics a and b; our Sub, subscribed to a, receives only a's.
        @Test(arguments: Side.allCases, wires)
        func pynngPubToOurSub(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let sub = Sub()
            sub.subscribe("a")
            guard let peer = try await pynngPeer("pub", for: sub, side, wire) else { return }
            try await withTimeout(20, "three messages on topic a") {
                for _ in 0..<3 {
                    let message = try await sub.receive()
                    #expect(message.content.first == UInt8(ascii: "a"), "\(text(message.content))")
                }
            }
            peer.closeInput()
            await expectSuccess(peer, "pynng pub")
            await sub.close()
        }

        /// Our Push sends m0, m1, m2; pynng PULL checks them in order.
        @Test(arguments: Side.allCases, wires)
        func ourPushToPynngPull(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let push = Push()
            guard let peer = try await pynngPeer("pull", for: push, side, wire) else { return }
            for index in 0..<3 { try await push.send(bytes("m\(index)")) }
            await expectSuccess(peer, "pynng pull")
            await push.close()
        }

        /// pynng PUSH sends m0, m1, m2; our Pull receives them in order.
        @Test(arguments: Side.allCases, wires)
        func pynngPushToOurPull(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let pull = Pull()
            guard let peer = try await pynngPeer("push", for: pull, side, wire) else { return }
            try await withTimeout(20, "three pushed messages") {
                for index in 0..<3 {
                    let message = try await pull.receive()
                    #expect(text(message.content) == "m\(index)")
                }
            }
            await expectSuccess(peer, "pynng push")
            await pull.close()
        }

        /// Our Pair talks to pynng PAIR (v0), which echoes three messages.
        @Test(arguments: Side.allCases, wires)
        func ourPairWithPynngPair(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let pair = Pair()
            guard let peer = try await pynngPeer("pair", for: pair, side, wire) else { return }
            try await withTimeout(20, "three echoes") {
                for index in 0..<3 {
                    try await pair.send(bytes("p\(index)"))
                    let echo = try await pair.receive()
                    #expect(text(echo.content) == "p\(index)")
                }
            }
            await expectSuccess(peer, "pynng pair")
            await pair.close()
        }

        /// pynng BUS sends hello until it has heard three messages; our Bus answers each hello with hi, and never
        /// echoes the hello back (the script fails if it does).
        @Test(arguments: Side.allCases, wires)
        func ourBusWithPynngBus(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let bus = Bus()
            guard let peer = try await pynngPeer("bus", for: bus, side, wire) else { return }
            let answering = Task {
                while true {
                    let message = try await bus.receive()
                    #expect(text(message.content) == "hello")
                    try await bus.send(bytes("hi"))
                }
            }
            await expectSuccess(peer, "pynng bus")
            answering.cancel()
            await bus.close()
        }

        /// Our Surveyor asks three surveys; pynng RESPONDENT answers each, and the answers come back by id.
        @Test(arguments: Side.allCases, wires)
        func ourSurveyorToPynngRespondent(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let surveyor = Surveyor()
            guard let peer = try await pynngPeer("respondent", for: surveyor, side, wire) else { return }
            try await withTimeout(30, "three answered surveys") {
                var answered = 0
                var index = 0
                // NNG's respondent may join just after our pipe is up: a survey it missed is simply asked again.
                while answered < 3 {
                    let answers = try await surveyor.survey(bytes("s\(index)"), deadline: .seconds(2), maxAnswers: 1)
                    if let answer = answers.first {
                        #expect(text(answer.body) == "ans:s\(index)")
                        answered += 1
                    }
                    index += 1
                }
            }
            await expectSuccess(peer, "pynng respondent")
            await surveyor.close()
        }

        /// pynng SURVEYOR surveys three times; our Respondent answers each survey along its path.
        @Test(arguments: Side.allCases, wires)
        func pynngSurveyorToOurRespondent(_ side: Side, _ wire: SPWire) async throws {
            guard await SPPeer.requirePynng() else { return }
            let respondent = Respondent()
            let answering = Task {
                while true {
                    let survey = try await respondent.receive()
                    try? await respondent.respond(to: survey, bytes("ans:") + survey.body)
                }
            }
            if let peer = try await pynngPeer("surveyor", for: respondent, side, wire) {
                await expectSuccess(peer, "pynng surveyor")
            }
            #expect(respondent.droppedSurveys == 0)
            answering.cancel()
            await respondent.close()
        }
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
