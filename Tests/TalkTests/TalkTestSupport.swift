@_spi(Internals) import MultiSocketConnector
import MultiSocketTalk
import MultiSocketTestSupport
import Synchronization
import Testing

/// Things that happened, for tests to wait on (never a sleep); any number of tasks may wait at once.
final class Happenings: Sendable {
    private struct State {
        var seen: [String] = []
        var waiters: [(String, CheckedContinuation<Void, Never>)] = []
    }

    // Locked, not Mutex: the thread sanitizer sees its lock (it cannot see Mutex's futex).
    private let state = Locked(State())

    func note(_ what: String) {
        let ready = state.withLock { state in
            state.seen.append(what)
            let ready = state.waiters.filter { $0.0 == what }.map(\.1)
            state.waiters.removeAll { $0.0 == what }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    var all: [String] { state.withLock { $0.seen } }

    /// Waits until `what` has happened (already, or from now on).
    func wait(for what: String) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.seen.contains(what) { return true }
                state.waiters.append((what, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// Runs `peers` (their `run()`), then `body`, then closes them and waits for their runs to end.
func running<T: Sendable>(_ peers: [Talk], _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for peer in peers { group.addTask { try await peer.run() } }
        do {
            let result = try await body()
            for peer in peers { await peer.close() }
            try await group.waitForAll()
            return result
        } catch {
            for peer in peers { await peer.close() }
            group.cancelAll()
            throw error
        }
    }
}

/// The TalkError code of an error, or nil.
func talkCode(_ error: (any Error)?) -> TalkError.Code? { (error as? TalkError)?.code }

/// Receives from a plain socket until a Talk frame of `kind` arrives.
func nextFrame(_ socket: Socket, _ kind: TalkFrame.Kind) async throws -> (TalkFrame, Message) {
    while true {
        let message = try await socket.receive()
        if let frame = TalkFrame.decode(message.content), frame.kind == kind { return (frame, message) }
    }
}

/// A configuration with fast heartbeats for tests.
func fastHeartbeats(_ interval: Duration = .milliseconds(40), missed: Int = 3) -> TalkConfiguration {
    var configuration = TalkConfiguration()
    configuration.heartbeatInterval = interval
    configuration.missedHeartbeats = missed
    return configuration
}

struct Greeting: Codable, Sendable, Equatable {
    var name: String
    var count: Int
}
