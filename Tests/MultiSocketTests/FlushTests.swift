import MultiSocket
import MultiSocketTestSupport
import Testing

/// A sender on the I/O thread: its writes wait for the end of its job, so drains and flushes are reported
/// by the writer rather than seen by the sender. These pin down that no such report is lost.
@Suite(.timeLimit(.minutes(1)))
struct FlushTests {
    /// A socket with an identity queues its hello when a pipe is added, before the pipe has started; a
    /// sender that fills the pipe at once (more than its queue and the shared queue hold) must still see
    /// it drain. This stalled until linger expired when the drain came before the start.
    @Test(arguments: ConformanceTransport.suite)
    func pipeFilledBeforeItStartsStillDrains(over transport: ConformanceTransport) async throws {
        let identity = ProtocolIdentity(id: 0x50, peer: 0x51, name: "push", peerName: "pull")
        let peerIdentity = ProtocolIdentity(id: 0x51, peer: 0x50, name: "pull", peerName: "push")
        let receiver = Socket(sender: .none, options: SocketOptions(identity: peerIdentity))
        let sender = Socket(sender: .toOne, receiver: .none, options: SocketOptions(linger: .seconds(60), identity: identity))
        let address = try receiver.listen(transport.uniqueAddress("early-drain"))
        let total = 3 * 64 + 7
        let received = Task {
            var count = 0
            for try await _ in receiver.messages {
                count += 1
                if count == total { break }
            }
            return count
        }
        try await withTimeout(20, "\(total) messages sent and flushed") {
            try await withTaskExecutorPreference(sender.executor) {
                try await sender.dial("\(address)")
                for index in 0..<total { try await sender.send(bigEndianBytes(UInt32(index))) }
                await sender.close()
            }
        }
        #expect(try await withTimeout(20, "\(total) messages received") { try await received.value } == total)
        #expect(sender.statistics.drops[.lingerExpired, default: 0] == 0)
        await receiver.close()
    }

    /// A few messages that never fill the pipe, sent on the I/O thread and followed at once by `close()`:
    /// the close returns once they are written, long before the linger time.
    @Test(arguments: ConformanceTransport.suite)
    func closeReturnsOnceWritten(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let client = Socket(options: SocketOptions(linger: .seconds(60)))
        try await Marry.connect(client, to: server, over: transport, label: "flush-close")
        try await withTimeout(20, "close after 5 messages") {
            try await withTaskExecutorPreference(client.executor) {
                for index in 0..<5 { try await client.send(bigEndianBytes(UInt32(index))) }
                await client.close()
            }
        }
        for index in 0..<5 {
            let message = try await withTimeout(10, "message \(index)") { try await server.receive() }
            #expect(message.content == bigEndianBytes(UInt32(index)))
        }
        await server.close()
    }
}
