@_spi(Internals) import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// A reactor's timers: fired on its thread in deadline order, cancellable, and re-armable from their own job.
@Suite(.timeLimit(.minutes(1)))
struct ReactorTimerTests {
    static let group = ReactorGroup(threads: 1, name: "timer-test")
    var reactor: Reactor { Self.group.reactors[0] }

    @Test func timersFireInDeadlineOrderOnTheReactorThread() async throws {
        let reactor = reactor
        let fired = Locked<[String]>([])
        let offThread = Locked(0)
        try await withTimeout(10, "four timers") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                @Sendable func record(_ name: String) {
                    if !reactor.isCurrent { offThread.withLock { $0 += 1 } }
                    let count = fired.withLock { fired -> Int in
                        fired.append(name)
                        return fired.count
                    }
                    if count == 4 { continuation.resume() }
                }
                // Armed in one job so that none fires before the last is armed.
                reactor.execute {
                    reactor.schedule(after: .milliseconds(300)) { record("300 ms") }
                    reactor.schedule(after: .milliseconds(100)) { record("100 ms") }
                    reactor.schedule(after: .milliseconds(200)) { record("200 ms") }
                    reactor.schedule(after: .milliseconds(-5)) { record("negative") }
                }
            }
        }
        #expect(fired.withLock { $0 } == ["negative", "100 ms", "200 ms", "300 ms"])
        #expect(offThread.withLock { $0 } == 0)
    }

    @Test func aCancelledTimerDoesNotFire() async throws {
        let reactor = reactor
        let fired = Locked<[String]>([])
        try await withTimeout(10, "the later timer") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let early = reactor.schedule(after: .milliseconds(50)) { fired.withLock { $0.append("cancelled") } }
                reactor.schedule(after: .milliseconds(150)) {
                    fired.withLock { $0.append("kept") }
                    continuation.resume()
                }
                reactor.cancelTimer(early)
                reactor.cancelTimer(early)
            }
        }
        // The cancelled timer was due before the kept one, so it would have run first.
        #expect(fired.withLock { $0 } == ["kept"])
    }

    /// A timer that arms another from its own job: the new one fires on a later turn, after its parent
    /// returned, and a timer cancelled from a job of the reactor's own thread does not fire.
    @Test func aTimerArmedFromItsOwnJobFiresLater() async throws {
        let reactor = reactor
        let steps = Locked<[String]>([])
        try await withTimeout(10, "the re-armed timer") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                reactor.schedule(after: .zero) {
                    steps.withLock { $0.append("first begins") }
                    let doomed = reactor.schedule(after: .milliseconds(20)) { steps.withLock { $0.append("doomed") } }
                    reactor.schedule(after: .zero) {
                        steps.withLock { $0.append("second") }
                        reactor.cancelTimer(doomed)
                        reactor.schedule(after: .milliseconds(60)) {
                            steps.withLock { $0.append("third") }
                            continuation.resume()
                        }
                    }
                    steps.withLock { $0.append("first ends") }
                }
            }
        }
        #expect(steps.withLock { $0 } == ["first begins", "first ends", "second", "third"])
    }

    /// A timer armed from another thread while the loop sleeps with no deadline wakes it.
    @Test func aTimerArmedWhileTheLoopSleepsWakesIt() async throws {
        let reactor = reactor
        await withCheckedContinuation { continuation in reactor.execute { continuation.resume() } }
        try await withTimeout(10, "a timer armed from another thread") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                reactor.schedule(after: .milliseconds(1)) { continuation.resume() }
            }
        }
    }
}
