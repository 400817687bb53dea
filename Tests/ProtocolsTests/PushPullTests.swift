import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct PushPullTests {
    @Test(arguments: ConformanceTransport.suite)
    func pushSpreadsOverPullers(over transport: ConformanceTransport) async throws {
        let push = Push()
        let pulls = [Pull(), Pull(), Pull()]
        let address = try push.listen(transport.uniqueAddress("push"))
        for pull in pulls { try await connect(pull, to: push, at: "\(address)") }
        let total = 60
        let (stream, sink) = AsyncStream<(Int, [UInt8])>.makeStream()
        let readers = pulls.enumerated().map { index, pull in
            Task {
                while let message = try? await pull.receive() { sink.yield((index, message.content)) }
            }
        }
        for item in 0..<total { try await push.send([UInt8(item)]) }
        var counts = [0, 0, 0]
        var seen = Set<[UInt8]>()
        for await (index, content) in stream {
            counts[index] += 1
            seen.insert(content)
            if seen.count == total { break }
        }
        #expect(counts.reduce(0, +) == total)
        #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
        for pull in pulls { await pull.close() }
        for reader in readers { await reader.value }
        await push.close()
    }

    @Test(arguments: ConformanceTransport.suite)
    func pullReceivesFromAllPushers(over transport: ConformanceTransport) async throws {
        let pull = Pull()
        let pushes = [Push(), Push(), Push()]
        let address = try pull.listen(transport.uniqueAddress("pull"))
        for push in pushes { try await connect(push, to: pull, at: "\(address)") }
        for (index, push) in pushes.enumerated() {
            for item in 0..<10 { try await push.send([UInt8(index), UInt8(item)]) }
        }
        var received = Set<[UInt8]>()
        for _ in 0..<30 { received.insert(try await pull.receive().content) }
        #expect(received.count == 30)
        #expect(Set(received.map { $0[0] }) == [0, 1, 2])
        for push in pushes { await push.close() }
        await pull.close()
    }
}
