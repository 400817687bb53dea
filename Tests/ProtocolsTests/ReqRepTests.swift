import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ReqRepTests {
    @Test(arguments: ConformanceTransport.suite)
    func concurrentRequestsGetTheirOwnReplies(over transport: ConformanceTransport) async throws {
        let req = Req()
        let rep = Rep()
        try await connect(req, to: rep, over: transport)
        let server = Task { try await rep.serve(workers: 3) { request in request.body.reversed() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let body = bytes("request \(index)")
                    let reply = try await req.request(body, timeout: .seconds(10))
                    #expect(reply == body.reversed())
                }
            }
            try await group.waitForAll()
        }
        #expect(req.droppedReplies == 0)
        #expect(req.pendingRequests == 0)
        await rep.close()
        try await server.value
        await req.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func workersServeSlowRequestsInParallel(over transport: ConformanceTransport) async throws {
        let req = Req()
        let rep = Rep()
        try await connect(req, to: rep, over: transport)
        let workers = 4
        // Each handler waits until all four requests are being handled at once: serial handling could
        // never get there, and the barrier gives up (failing the request) after 10 s.
        let barrier = Barrier(parties: workers)
        let server = Task {
            try await rep.serve(workers: workers) { request in
                guard await barrier.arrive(within: .seconds(10)) else { return nil }
                return request.body
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<workers {
                group.addTask {
                    let reply = try await req.request([UInt8(index)], timeout: .seconds(15))
                    #expect(reply == [UInt8(index)])
                }
            }
            try await group.waitForAll()
        }
        await rep.close()
        try await server.value
        await req.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func timeoutThenLateReplyIsDroppedAndCounted(over transport: ConformanceTransport) async throws {
        let req = Req()
        let rep = Rep()
        try await connect(req, to: rep, over: transport)
        let error = await thrown { _ = try await req.request(bytes("slow"), timeout: .milliseconds(100)) }
        #expect(code(error) == .timedOut)
        #expect(req.pendingRequests == 0)
        let held = try await rep.receive()
        try await rep.reply(to: held, bytes("too late"))
        // The next reply travels the same pipe after the late one, so once it is back the late one was seen.
        async let answer = req.request(bytes("fast"), timeout: .seconds(10))
        let next = try await rep.receive()
        try await rep.reply(to: next, next.body)
        #expect(try await answer == bytes("fast"))
        #expect(req.droppedReplies == 1)
        await req.close()
        await rep.close()
    }

    @Test func overlappingDeadlinesEachFireOnTime() async throws {
        // A far deadline is armed first; nearer ones registered later must not wait for it, and the one
        // registered behind a nearer one must fire when that one re-arms the timer.
        let req = Req()
        let rep = Rep()
        try await connect(req, to: rep, over: .inproc)
        let far = Task { try await req.request(bytes("far"), timeout: .seconds(50)) }
        _ = try await rep.receive()
        let clock = ContinuousClock()
        let start = clock.now
        async let near = thrown { _ = try await req.request(bytes("near"), timeout: .milliseconds(100)) }
        async let later = thrown { _ = try await req.request(bytes("later"), timeout: .milliseconds(300)) }
        #expect(code(await near) == .timedOut)
        #expect(code(await later) == .timedOut)
        #expect(clock.now - start < .seconds(25), "the near deadlines fired long before the far one (50 s)")
        #expect(req.pendingRequests == 1)
        await req.close()
        #expect(code(await thrown { _ = try await far.value }) == .closed)
        await rep.close()
    }

    @Test func timeoutCoversWaitingForRoomToSend() async throws {
        // No replier and a one-message send queue that is already full: the request waits for room to
        // send, and its timeout must end that wait.
        let req = Req(options: SocketOptions(sendQueueSize: 1, linger: .zero))
        try await req.socket.send(bytes("filler"))
        let error = await thrown { _ = try await req.request(bytes("no room"), timeout: .milliseconds(100)) }
        // No replier ever connected: the request never left (`noPeer`, not `timedOut`).
        #expect(code(error) == .noPeer)
        #expect(req.pendingRequests == 0)
        await req.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func resendAfterIntervalGetsAnswered(over transport: ConformanceTransport) async throws {
        let req = Req()
        let rep = Rep()
        try await connect(req, to: rep, over: transport)
        async let answer = req.request(bytes("again"), timeout: .seconds(10), resendInterval: .milliseconds(50))
        let first = try await rep.receive()  // ignored, as if lost
        let second = try await rep.receive()
        #expect(first.id == second.id)
        #expect(first.body == second.body)
        try await rep.reply(to: second, bytes("got it"))
        #expect(try await answer == bytes("got it"))
        await req.close()
        await rep.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func cancellationAbandonsTheRequest(over transport: ConformanceTransport) async throws {
        let req = Req()
        let rep = Rep()
        try await connect(req, to: rep, over: transport)
        let task = Task { try await req.request(bytes("cancel me"), timeout: nil) }
        let held = try await rep.receive()
        task.cancel()
        let error = await thrown { _ = try await task.value }
        #expect(error is CancellationError)
        #expect(req.pendingRequests == 0)
        try await rep.reply(to: held, bytes("nobody waits"))
        async let answer = req.request(bytes("next"), timeout: .seconds(10))
        let next = try await rep.receive()
        try await rep.reply(to: next, next.body)
        #expect(try await answer == bytes("next"))
        #expect(req.droppedReplies == 1)
        await req.close()
        await rep.close()
    }

    @Test func closeFailsPendingRequests() async throws {
        let req = Req()
        let rep = Rep()
        try await connect(req, to: rep, over: .inproc)
        let task = Task { try await req.request(bytes("pending"), timeout: nil) }
        _ = try await rep.receive()
        await req.close()
        #expect(code(await thrown { _ = try await task.value }) == .closed)
        await rep.close()
    }

    @Test func requestsSpreadOverSeveralRepliers() async throws {
        let req = Req()
        let reps = [Rep(), Rep(), Rep()]
        let address = try await connect(req, to: reps[0], over: .inproc)
        for rep in reps.dropFirst() {
            let own = try rep.listen(ConformanceTransport.inproc.uniqueAddress("rep"))
            try await connect(req, to: rep, at: "\(own)")
        }
        _ = address
        let served = Tally(reps.count)
        // Each single-worker replier holds its request until all three are holding one, so a replier
        // that got every request would never get past the barrier.
        let barrier = Barrier(parties: reps.count)
        let servers = reps.enumerated().map { index, rep in
            Task {
                try await rep.serve(workers: 1) { request in
                    served.add(index)
                    guard await barrier.arrive(within: .seconds(10)) else { return nil }
                    return request.body
                }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<9 {
                group.addTask { _ = try await req.request([UInt8(index)], timeout: .seconds(10)) }
            }
            try await group.waitForAll()
        }
        let counts = served.values
        #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
        for rep in reps { await rep.close() }
        for server in servers { try await server.value }
        await req.close()
    }
}
