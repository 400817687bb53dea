@_spi(Internals) import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// The debug-build checks are live: the reactor-thread check and the lock order.
@Suite(.timeLimit(.minutes(1)),
       .enabled(if: _isDebugAssertConfiguration(), "debug builds only: release compiles them away"))
struct ReactorThreadCheckTests {
    static let group = ReactorGroup(threads: 2, name: "check-test")

    /// `assertInReactor()` would stop a caller off the reactor thread, and lets one on it through.
    @Test func theReactorThreadCheckTellsThreadsApart() async throws {
        let (first, second) = (Self.group.reactors[0], Self.group.reactors[1])
        #expect(first.threadCheckFails, "a test task is not on the reactor thread")
        let onFirst = try await withTimeout(10, "a job on the reactor") {
            await withCheckedContinuation { continuation in
                first.execute {
                    first.assertInReactor()
                    continuation.resume(returning: (first.threadCheckFails, second.threadCheckFails))
                }
            }
        }
        #expect(onFirst.0 == false, "the check passes on the reactor's own thread")
        #expect(onFirst.1 == true, "another reactor's thread fails it")
    }

    /// Taking locks in the order (socket, link output, reactor queue) passes; against it, the check names
    /// the rank held. An unranked lock is a leaf that may take only the reactor queue.
    @Test func theLockOrderIsChecked() {
        let socket = Locked(0, rank: .socket)
        let output = Locked(0, rank: .linkOutput)
        let queue = Locked(0, rank: .reactorQueue)
        let leaf = Locked(0)
        #expect(LockOrder.conflict(taking: LockRank.socket.rawValue) == nil)
        socket.withLock { _ in
            #expect(LockOrder.conflict(taking: LockRank.socket.rawValue) == LockRank.socket.rawValue)
            output.withLock { _ in
                #expect(LockOrder.conflict(taking: LockRank.socket.rawValue) == LockRank.socket.rawValue)
                #expect(LockOrder.conflict(taking: LockRank.linkOutput.rawValue) == LockRank.linkOutput.rawValue)
                queue.withLock { _ in
                    let queueRank = LockRank.reactorQueue.rawValue
                    #expect(LockOrder.conflict(taking: queueRank) == queueRank)
                    #expect(LockOrder.conflict(taking: LockRank.linkOutput.rawValue) == LockRank.linkOutput.rawValue)
                }
                #expect(LockOrder.conflict(taking: LockRank.reactorQueue.rawValue) == nil)
            }
            leaf.withLock { _ in
                #expect(LockOrder.conflict(taking: LockRank.linkOutput.rawValue) == 0, "a leaf takes no link output")
                #expect(LockOrder.conflict(taking: LockRank.reactorQueue.rawValue) == nil)
                queue.withLock { _ in }
            }
        }
        #expect(LockOrder.conflict(taking: LockRank.socket.rawValue) == nil, "every release is recorded")
    }

    /// The record is per thread: a lock held on one thread constrains nobody else.
    @Test func theLockRecordIsPerThread() async throws {
        let output = Locked(0, rank: .linkOutput)
        let reactor = Self.group.reactors[0]
        try await withTimeout(10, "a job on the reactor") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                output.withLock { _ in
                    reactor.execute {
                        #expect(LockOrder.conflict(taking: LockRank.socket.rawValue) == nil)
                        continuation.resume()
                    }
                }
            }
        }
    }
}
