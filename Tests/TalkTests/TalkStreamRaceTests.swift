@_spi(Internals) import MultiSocketConnector
@testable import MultiSocketTalk
import MultiSocketTestSupport
import Testing

/// The interleavings of a stream's waits with the frames that end them, driven one step at a time: a
/// writer deciding to wait while the handler's end arrives, a waiting writer when it does, and a credit
/// that finds the pipe full on the receive loop.
@Suite(.timeLimit(.minutes(1)))
struct TalkStreamRaceTests {
    /// The old window: a writer saw no credit (wait), the handler's end arrived, then the writer registered
    /// and waited for credit that could never come. Registration now takes the decision again, in the same
    /// transition, and fails.
    @Test func aWriterRegisteringAfterTheHandlersEndFails() {
        var state = TalkStreamState(path: nil, window: 1024, peerWindow: 0)
        guard case .wait = state.reserve(10) else {
            Issue.record("a caller's stream with no path yet must wait for credit")
            return
        }
        let ending = state.endInput(endingOutput: true)
        #expect(ending.reader == nil && ending.writers.isEmpty)
        guard case .failed = state.reserve(10, writer: nil) else {
            Issue.record("a writer registering after the handler's end must fail, not wait")
            return
        }
        #expect(state.writers.isEmpty)
    }

    /// A writer already waiting for credit when the handler's end arrives fails with `cancelled`, and the
    /// reader sees the end.
    @Test func aWaitingWriterFailsWhenTheHandlerEnds() async throws {
        let talk = Talk()
        let stream = TalkStream(talk: talk, id: 7, isCaller: true, path: nil, peerWindow: 0, timeout: .seconds(30))
        let writer = Task { try await stream.send([1, 2, 3]) }
        try await until("the writer waits for credit") { stream.state.withLock { $0.writers.count == 1 } }
        stream.receiveEnd()
        let error = await thrown { try await writer.value }
        #expect(talkCode(error) == .cancelled)
        #expect(try await stream.next() == nil)
        await talk.close()
    }

    /// A part handed to a waiting reader on the receive loop grants credit at once; with the pipe back to
    /// the caller full, that credit used to be dropped (the caller's writer then stalled for good). It now
    /// goes out when the pipe has room.
    @Test func creditFindingAFullPipeIsDelayedNotDropped() async throws {
        var configuration = TalkConfiguration()
        configuration.streamWindow = 1024
        configuration.heartbeatInterval = nil
        let server = Talk(configuration: configuration)
        // A caller that does not read until told: its queues fill, then the server's pipe to it.
        let raw = Socket(options: SocketOptions(receiveQueueSize: 1))
        let events = Happenings()
        let handled = Locked<TalkStream?>(nil)
        server.handleStream("sink") { stream, request in
            handled.withLock { $0 = stream }
            let noise = try TalkFrame(.notification, name: "noise", payload: []).encoded()
            while case .sent = try server.socket.trySendTo(request.peer, noise) {}
            events.note("pipe full")
            while try await stream.next() != nil {}
        }
        try await Marry.connect(raw, to: server.socket, over: .inproc, label: "talk-full-credit")
        try await withTimeout(20, "credit on a full pipe") {
            try await running([server]) {
                try await raw.send(try TalkFrame(.streamOpen, id: 9, name: "sink", number: 4096).encoded())
                let (first, _) = try await nextFrame(raw, .credit)
                #expect(first.number == 1024)
                await events.wait(for: "pipe full")
                try await until("the handler waits for a part") {
                    handled.withLock { $0 }?.state.withLock { $0.reader != nil } ?? false
                }
                try await raw.send(try TalkFrame(.part, id: 9, payload: [UInt8](repeating: 1, count: 600)).encoded())
                try await until("the credit found the pipe full") { server.talkStatistics.delayedControlFrames == 1 }
                let (credit, _) = try await nextFrame(raw, .credit)
                #expect(credit.id == 9)
                #expect(credit.number == 600)
                #expect(server.talkStatistics.droppedControlFrames == 0)
            }
        }
        await raw.close()
    }
}

/// Waits until `condition` holds, checking every millisecond, for at most 10 s: for states no event
/// reports (a continuation registered inside a stream).
func until(_ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
    try await withTimeout(10, what) {
        while !condition() { try await Task.sleep(for: .milliseconds(1)) }
    }
}
