import Foundation
import Testing

/// `mscat` processes talking to each other over ipc, as a user would run them. Dialers use `--async`, so the
/// order in which the processes come up does not matter; nothing sleeps, the tests wait for the processes.
@Suite("mscat exchanges", .timeLimit(.minutes(1)))
struct ExchangeTests {
    @Test("req and rep: the request is printed by rep, the reply by req")
    func requestReply() async throws {
        let address = MSCatProcess.uniqueAddress()
        let rep = try MSCatProcess(["--rep", "--listen", address, "--data", "42", "--quoted", "--count", "1",
                                    "--recv-timeout", "30"])
        let req = try await MSCatProcess.run(["--req", "--dial", address, "--async", "-D", "what is the answer?",
                                             "-Q", "--recv-timeout", "30"])
        let served = await rep.outcome()
        #expect(req.status == 0, "req: \(req.errors)")
        #expect(req.errors.isEmpty)
        #expect(req.output == "\"42\"\n")
        #expect(served.status == 0, "rep: \(served.errors)")
        #expect(served.errors.isEmpty)
        #expect(served.output == "\"what is the answer?\"\n")
    }

    @Test("req with --count repeats the exchange; rep answers each request")
    func repeatedRequests() async throws {
        let address = MSCatProcess.uniqueAddress()
        let rep = try MSCatProcess(["--rep", "--listen", address, "-D", "pong", "--ascii", "--count", "3"])
        let req = try await MSCatProcess.run(["--req", "--dial=\(address)", "--async", "-Dping", "-A",
                                             "--count", "3", "--recv-timeout", "30"])
        let served = await rep.outcome()
        #expect(req.status == 0, "req: \(req.errors)")
        #expect(req.errors.isEmpty)
        #expect(req.output == "pong\npong\npong\n")
        #expect(served.status == 0, "rep: \(served.errors)")
        #expect(served.errors.isEmpty)
        #expect(served.output == "ping\nping\nping\n")
    }

    @Test("pub to sub: only messages matching a --subscribe prefix are printed")
    func publishSubscribe() async throws {
        let address = MSCatProcess.uniqueAddress()
        // Publishing is lossy until a subscriber is connected, so both publishers repeat until the subscriber
        // has printed what it waits for; it would give up after 30 s of silence.
        let sub = try MSCatProcess(["--sub", "--listen", address, "--subscribe", "weather/", "--ascii",
                                    "--count", "5", "--recv-timeout", "30"])
        let publishers = try ["weather/sunny", "sport/goal"].map { text in
            try MSCatProcess(["--pub", "--dial", address, "--async", "--data", text, "--interval", "0.02"])
        }
        let received = await sub.outcome()
        for publisher in publishers { await publisher.stop() }
        #expect(received.status == 0, "sub: \(received.errors)")
        #expect(received.errors.isEmpty)
        #expect(received.output == String(repeating: "weather/sunny\n", count: 5))
    }

    @Test("sub without --subscribe prints everything")
    func subscribeToEverything() async throws {
        let address = MSCatProcess.uniqueAddress()
        let sub = try MSCatProcess(["--sub", "--listen", address, "--quoted", "--count", "1", "--recv-timeout", "30"])
        let publisher = try MSCatProcess(["--pub", "--dial", address, "--async", "-D", "any\tthing", "-i", "0.02"])
        let received = await sub.outcome()
        await publisher.stop()
        #expect(received.status == 0, "sub: \(received.errors)")
        #expect(received.errors.isEmpty)
        #expect(received.output == "\"any\\tthing\"\n")
    }

    @Test("push to pull with the data read from standard input (-F -)")
    func pushFromStandardInput() async throws {
        let address = MSCatProcess.uniqueAddress()
        // The pusher listens: it sends once it has accepted the puller's connection, and by then the puller has
        // written its hello. (A pusher that dials may close before the listener writes its hello; the listener
        // then drops what it received — mscat waits Runner.settleTime to make that unlikely, not impossible.)
        let push = try MSCatProcess(["--push", "--listen", address, "-F", "-", "--count", "2"],
                                    input: Array("hello\u{0}world\n".utf8) + [0xFF])
        let pulled = try await MSCatProcess.run(["--pull", "--dial", address, "--async", "--quoted", "--count", "2",
                                                 "--recv-timeout", "30"])
        let pushed = await push.outcome()
        #expect(pushed.status == 0, "push: \(pushed.errors)")
        #expect(pushed.errors.isEmpty)
        #expect(pushed.output.isEmpty)
        #expect(pulled.status == 0, "pull: \(pulled.errors)")
        #expect(pulled.errors.isEmpty)
        #expect(pulled.output == String(repeating: "\"hello\\x00world\\n\\xff\"\n", count: 2))
    }

    @Test("--recv-timeout ends a receiver that hears nothing, with status 0")
    func receiveTimeout() async throws {
        let pull = try await MSCatProcess.run(["--pull", "--listen", MSCatProcess.uniqueAddress(), "--hex",
                                               "--recv-timeout", "0.2"])
        #expect(pull.status == 0, "pull: \(pull.errors)")
        #expect(pull.errors.isEmpty)
        #expect(pull.output.isEmpty)
    }

    @Test("--send-timeout fails a push that finds no peer, with status 1")
    func sendTimeout() async throws {
        let push = try await MSCatProcess.run(["--push", "--listen", MSCatProcess.uniqueAddress(), "-D", "lost",
                                               "--send-timeout", "0.2"])
        #expect(push.status == 1)
        #expect(push.errors == "mscat: send timed out after 0.2 seconds\n")
    }

    @Test("a dial that is refused fails at once unless --async")
    func refusedDial() async throws {
        let address = MSCatProcess.uniqueAddress()
        let push = try await MSCatProcess.run(["--push", "--dial", address, "-D", "x"])
        #expect(push.status == 1)
        #expect(push.errors.hasPrefix("mscat: cannot dial \(address): connectionRefused"))
    }
}
