import Glibc
import MultiSocketProtocols
import MultiSocketTestSupport
import MultiSocketSoakKit
import Synchronization
import Testing

/// A server killed mid-stream (SIGKILL) and restarted on the same address: the client reconnects by itself,
/// and everything it sends after the reconnection arrives, in order, exactly once.
@Suite(.timeLimit(.minutes(1)))
struct ServerRestartTests {
    /// The runs of consecutive sequence numbers a `soak serve --pattern pushpull` child reported for `peer`,
    /// keyed by their first number (a run's later lines only move its end).
    private static func runs(in lines: [String], peer: UInt32) -> [UInt64: UInt64] {
        var runs: [UInt64: UInt64] = [:]
        for line in lines {
            let fields = line.split(separator: " ")
            guard fields.count == 4, fields[0] == "range", UInt32(fields[1]) == peer,
                  let first = UInt64(fields[2]), let last = UInt64(fields[3]) else { continue }
            runs[first] = max(runs[first] ?? 0, last)
        }
        return runs
    }

    private static func reaches(_ line: String, peer: UInt32, _ target: UInt64) -> Bool {
        let fields = line.split(separator: " ")
        return fields.count == 4 && fields[0] == "range" && UInt32(fields[1]) == peer
            && (UInt64(fields[3]) ?? 0) >= target
    }

    @Test func pushReconnectsToARestartedPullAndLosesNothingSentAfterward() async throws {
        // A free port for both servers: bound here, released, handed to the child.
        let port = try RefusingTCPPort().port
        let address = "tcp://127.0.0.1:\(port)"
        let serve = ["serve", "--pattern", "pushpull", "--address", address]
        let first = try SoakProcess(serve)
        defer { first.kill(SIGKILL) }
        try await first.line("the first server listening") { $0 == "listening \(address)" }

        let push = Push(options: SocketOptions(connector: .init(endpoint: .init(
            minReconnectInterval: .milliseconds(20), maxReconnectInterval: .milliseconds(200)))))
        try await push.dial(address)
        let events = push.events()
        let peer: UInt32 = 7
        // `started` is the sequence number of the next send to begin; `end` stops the sender.
        let started = Atomic<UInt64>(0)
        let end = Atomic<UInt64>(.max)
        let sender = Task {
            var sequence: UInt64 = 0
            while sequence < end.load(ordering: .acquiring) {
                started.store(sequence + 1, ordering: .releasing)
                try await push.send(SoakStamp(peer: peer, sequence: sequence).encode(payloadSize: 64))
                sequence += 1
            }
        }

        // Mid-stream: the first server has received a few hundred messages and more are on their way.
        try await first.line("the first server receiving") { Self.reaches($0, peer: peer, 300) }
        first.kill(SIGKILL)
        await first.waitForExit()
        _ = try await Await.event(events, "the pipe to the killed server removed") { event -> Bool? in
            if case .pipeRemoved = event { return true }
            return nil
        }
        let second = try SoakProcess(serve)
        defer { second.kill(SIGKILL) }
        _ = try await Await.event(events, "the pipe to the restarted server added") { event -> Bool? in
            if case .pipeAdded = event { return true }
            return nil
        }
        // Every send that begins from now on must arrive at the second server.
        let firstAfter = started.load(ordering: .acquiring)
        let last = firstAfter + 2_000 - 1
        end.store(last + 1, ordering: .releasing)
        try await sender.value
        try await second.line("the restarted server receiving up to \(last)") { Self.reaches($0, peer: peer, last) }

        let before = Self.runs(in: first.printed, peer: peer)
        let after = Self.runs(in: second.printed, peer: peer)
        #expect(before.count == 1 && before[0] != nil,
                "the first server's stream had a break: \(before.sorted { $0.key < $1.key })")
        #expect(after.count == 1,
                "the restarted server's stream had a gap, duplicate or reordering: \(after.sorted { $0.key < $1.key })")
        let (start, stop) = try #require(after.first)
        #expect(start <= firstAfter, "messages \(firstAfter)..<\(start), sent after the reconnection, were lost")
        #expect(stop == last)
        #expect(!second.printed.contains("corrupt") && !first.printed.contains("corrupt"))
        if let lastBefore = before[0] {
            // What went down with the killed server (in its socket buffers, or printed too late): not asserted.
            print("restart: the first server got 0...\(lastBefore), the second \(start)...\(stop); "
                  + "reconnected at \(firstAfter)")
        }
        await push.close()
    }
}
