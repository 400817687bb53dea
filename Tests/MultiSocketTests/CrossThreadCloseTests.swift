import MultiSocket
import MultiSocketTestSupport
import Testing

/// Sockets on different I/O threads: a sender that flushes and closes while its peer's hello is still
/// unread on its side loses nothing.
@Suite(.timeLimit(.minutes(2)))
struct CrossThreadCloseTests {
    /// Each round a pull-like receiver (which sends its hello when the pipe is added) and a push-like
    /// sender that sends more than both queues hold and closes at once. With the two sockets' threads
    /// running in parallel, the receiver's hello often reached the sender after its last read: closing with
    /// that unread input reset the connection, and the reset made the receiver, paused on its full queue,
    /// drop the tail of the stream (about one round in a hundred lost up to 72 messages).
    @Test(arguments: ConformanceTransport.suite)
    func aFlushedSenderClosingOverUnreadInputLosesNothing(over transport: ConformanceTransport) async throws {
        let identity = ProtocolIdentity(id: 0x50, peer: 0x51, name: "push", peerName: "pull")
        let peerIdentity = ProtocolIdentity(id: 0x51, peer: 0x50, name: "pull", peerName: "push")
        let total = 3 * 64 + 7
        for round in 0..<150 {
            let receiver = Socket(sender: .none, options: SocketOptions(identity: peerIdentity))
            let sender = Socket(sender: .toOne, receiver: .none,
                                options: SocketOptions(linger: .seconds(60), identity: identity))
            let address = try receiver.listen(transport.uniqueAddress("cross-close"))
            let received = Task {
                var count = 0
                for try await _ in receiver.messages {
                    count += 1
                    if count == total { break }
                }
                return count
            }
            try await withTimeout(20, "round \(round): \(total) messages sent and flushed") {
                try await withTaskExecutorPreference(sender.executor) {
                    try await sender.dial("\(address)")
                    for index in 0..<total { try await sender.send(bigEndianBytes(UInt32(index))) }
                    await sender.close()
                }
            }
            let count = try await withTimeout(10, "round \(round): \(total) messages received") {
                try await received.value
            }
            #expect(count == total, "round \(round)")
            #expect(receiver.statistics.rejectedFrames == 0, "round \(round): \(receiver.statistics)")
            await receiver.close()
            if count != total { return }
        }
    }
}
