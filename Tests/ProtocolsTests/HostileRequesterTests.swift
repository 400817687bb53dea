import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Requesters that misbehave against a `Rep`, and what the server does about it.
@Suite(.timeLimit(.minutes(2)))
struct HostileRequesterTests {
    /// A requester that floods requests and never reads its replies, but stays connected. Replies are best
    /// effort: once its pipe is full they are dropped and counted, so the workers never park on it and
    /// a well-behaved requester is served promptly throughout. (Replies that waited for room wedged every
    /// worker on the first full pipe.)
    @Test(arguments: [ConformanceTransport.tcp, ConformanceTransport.ipc])
    func requesterThatNeverReadsCannotStallTheWorkers(over transport: ConformanceTransport) async throws {
        let rep = Rep()
        let address = try rep.listen(transport.uniqueAddress("nonreader"))
        let serving = Task { try await rep.serve(workers: 2) { $0.body } }
        let hostile = try PlainClient(address)
        // Request id 0x80000001 and a 4 KiB body, to-one, as a REQ peer would frame it.
        let request = [0, Message.defaultTTL, 0, 0] + bigEndianBytes(4 + 4096) + [0x80, 0, 0, 1]
            + [UInt8](repeating: 0x72, count: 4096)
        let flood = repeated(request, count: 256)
        // Flood until the server has dropped a reply to the non-reader: its pipe is full, and a reply that
        // waited for room would now park a worker.
        let stoppedAt = try await withTimeout(30, "a reply to the non-reader dropped") {
            var offset = 0
            while rep.socket.statistics.drops[.queueFull, default: 0] == 0 {
                try Task.checkCancellation()
                let written = hostile.writeAvailable(flood, from: offset)
                if written < 0 { throw MultiSocketError(.closed, "the server closed the flooding requester") }
                offset = (offset + written) % flood.count
                if written == 0 { _ = await hostile.waitWritable(milliseconds: 50) }
            }
            return offset
        }
        // It keeps flooding (from where it stopped, mid-frame or not) while a well-behaved requester is served.
        let rest = Array(flood[stoppedAt...]) + repeated(request, count: 2048)
        let flooding = Task { await hostile.flood(rest, stall: 1000).end }
        let req = Req()
        try await req.dial("\(address)")
        for round in 0..<100 {
            let reply = try await req.request(bigEndianBytes(UInt32(round)), timeout: .seconds(20))
            #expect(reply == bigEndianBytes(UInt32(round)))
        }
        _ = await flooding.value
        hostile.close()
        serving.cancel()
        await req.socket.close()
        await rep.socket.close()
    }
}
