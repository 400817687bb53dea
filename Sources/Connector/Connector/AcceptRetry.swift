/// A listener's accept loop that survives running out of descriptors or memory.
///
/// Listening sockets are edge-triggered: a readiness event comes when a connection arrives, and the
/// listener accepts until `EAGAIN`. When accept fails with `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM`,
/// the connections still waiting raise no new event, and would wait until yet another connection arrives.
/// So the loop is tried again on a timer — after 100 ms, doubling up to 1 s while accepts keep failing —
/// until the kernel's queue is drained or the listener closes. Once a descriptor is free again (a pipe
/// closed), the next retry accepts what waited.
///
/// Owned by one listener and touched only on its reactor's thread.
struct AcceptRetry {
    /// The first retry delay after an exhausted accept.
    static let firstDelay = Duration.milliseconds(100)
    /// The longest retry delay.
    static let longestDelay = Duration.seconds(1)

    /// The delay of the retry armed now, or `nil` when none is needed.
    private(set) var delay: Duration?
    private var timer: UInt64?

    /// Accepts the waiting connections of the listening socket `fd`, handing each descriptor to `handle`,
    /// while `open` holds; after a batch of them (``SystemSocket/acceptBatch``) the rest is accepted by
    /// `retry` posted as a job, after the other work of the turn. If accepting ran out of resources, arms a
    /// timer on `reactor` that calls `retry` (which should check that the listener is still open and call this
    /// again); otherwise clears the back-off. A timer already armed is replaced.
    mutating func acceptPending(_ fd: Int32, on reactor: Reactor, while open: () -> Bool, _ handle: (Int32) -> Void,
                                retry: @escaping @Sendable () -> Void) {
        if let timer {
            reactor.cancelTimer(timer)
            self.timer = nil
            reactor.setReadInterest(fd, true)
        }
        var accepted = false
        let outcome = SystemSocket.acceptPending(fd, while: open) { connection in
            accepted = true
            handle(connection)
        }
        if case .yielded = outcome {
            // More may wait, and no new edge comes for them: the rest after this turn's other work.
            delay = nil
            reactor.execute(retry)
            return
        }
        guard case .exhausted = outcome, open() else {
            delay = nil
            return
        }
        let next = accepted ? Self.firstDelay : delay.map { min($0 * 2, Self.longestDelay) } ?? Self.firstDelay
        delay = next
        // The pending connections stay readable meanwhile: a level-triggered backend would report them every
        // turn until the timer.
        reactor.setReadInterest(fd, false)
        timer = reactor.schedule(after: next, retry)
    }

    /// Disarms the retry, for a listener that is closing.
    mutating func cancel(on reactor: Reactor) {
        if let timer { reactor.cancelTimer(timer) }
        timer = nil
        delay = nil
    }
}
