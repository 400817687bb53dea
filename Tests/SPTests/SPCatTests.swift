import Foundation
import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

extension SPPeerTests {
    /// Debian's `nngcat` (nng-utils) and `nanocat` (nanomsg-utils) against our roles over sp+tcp: req/rep and
    /// pub/sub, each of them as client and as server.
    @Suite(.timeLimit(.minutes(2)))
    struct SPCatTests {
        /// The SP peer command-line tools: `nngcat` and nanomsg's `nanocat`, whose options differ.
        enum Cat: String, CaseIterable, CustomTestStringConvertible {
            case nngcat, nanocat
            var testDescription: String { rawValue }
            var missing: String {
                self == .nngcat ? SPPeer.missingNngcat : "nanocat is required (apt-get install nanomsg-utils)"
            }
            func require() async -> Bool {
                await SPPeer.require(["sh", "-c", "command -v \(rawValue)"], missing)
            }
            func start(_ arguments: [String]) throws -> SPPeer {
                try SPPeer.command([rawValue] + arguments)
            }
        }

        /// The cat's REQ dials our Rep and prints the reply.
        @Test(arguments: Cat.allCases) func catReqToOurRep(_ cat: Cat) async throws {
            guard await cat.require() else { return }
            let rep = Rep()
            let bound = try rep.listen("sp+tcp://127.0.0.1:0")
            let serving = Task { try await rep.serve { bytes("re:") + $0.body } }
            let peer = try cat.start(["--req", "--connect", nng(bound), "--data", "hello", "--ascii"])
            let result = await withTimeoutOrNil(20) { await peer.finish() }
            if result == nil { await peer.stop() }
            #expect(result?.status == 0, "\(cat): \(result?.errors ?? "no exit")")
            #expect(result?.output.contains("re:hello") == true, "\(cat) printed \(result?.output ?? "")")
            serving.cancel()
            await rep.close()
        }

        /// Our Req dials the cat's REP, which answers every request with `pong`.
        @Test(arguments: Cat.allCases) func ourReqToCatRep(_ cat: Cat) async throws {
            guard await cat.require() else { return }
            let port = try QuietPort.free()
            let peer = try cat.start(["--rep", "--bind", "tcp://127.0.0.1:\(port)", "--data", "pong", "--ascii"])
            defer { peer.kill() }
            let req = Req()
            // The cat binds after it starts: dial in the background, and the request waits for the pipe.
            try await req.dial("sp+tcp://127.0.0.1:\(port)?minReconnectInterval=20ms", waitForConnection: false)
            let reply = try await withTimeout(20, "\(cat)'s reply") {
                try await req.request(bytes("ping"), timeout: .seconds(15))
            }
            #expect(text(reply) == "pong")
            await req.close()
            await peer.stop()
        }

        /// The cat's SUB, subscribed to `a`, dials our Pub and prints three messages, all on topic a.
        @Test(arguments: Cat.allCases) func ourPubToCatSub(_ cat: Cat) async throws {
            guard await cat.require() else { return }
            let pub = Pub()
            let bound = try pub.listen("sp+tcp://127.0.0.1:0")
            // nngcat prints --ascii without newlines: it quotes each message on a line of its own instead, and
            // with --count exits after three, flushing what it printed (a pipe is not a terminal).
            let peer = try cat.start(["--sub", "--connect", nng(bound), "--subscribe", "a"]
                                     + (cat == .nngcat ? ["--quoted", "--count", "3"] : ["--ascii"]))
            defer { peer.kill() }
            await Marry.waitForPipes(pub.socket, count: 1)
            let publishing = Task {
                var index = 0
                while !Task.isCancelled {
                    try await pub.publish(bytes("a\(index)"))
                    try await pub.publish(bytes("b\(index)"))
                    index += 1
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            let lines = try await withTimeout(20, "three lines from \(cat)") { await peer.lines(3) }
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            #expect(lines.count == 3, "\(lines)")
            #expect(lines.allSatisfy { $0.hasPrefix("a") }, "\(lines)")
            publishing.cancel()
            await peer.stop()
            await pub.close()
        }

        /// The cat's PUB publishes `a-topic` every second (nngcat takes whole seconds; nanocat 50 ms); our Sub,
        /// subscribed to a, receives it.
        @Test(arguments: Cat.allCases) func catPubToOurSub(_ cat: Cat) async throws {
            guard await cat.require() else { return }
            let sub = Sub()
            sub.subscribe("a")
            let bound = try sub.listen("sp+tcp://127.0.0.1:0")
            let peer = try cat.start(["--pub", "--connect", nng(bound), "--data", "a-topic", "--interval",
                                                cat == .nngcat ? "1" : "0.05"])
            defer { peer.kill() }
            let message = try await withTimeout(20, "a message from \(cat)") { try await sub.receive() }
            #expect(text(message.content) == "a-topic")
            await peer.stop()
            await sub.close()
        }
    }
}
