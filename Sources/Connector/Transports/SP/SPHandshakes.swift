/// The SP header exchanges under way on one sp+tcp or sp+ipc listener's accepted connections, so that closing
/// the listener stops them (their streams close) instead of letting them run to their timeout.
///
/// Any thread: the table sits behind a lock; each driver is started and cancelled on its own reactor's thread.
final class SPHandshakes: Sendable {
    private struct State {
        var closed = false
        var next: UInt64 = 0
        var running: [UInt64: (driver: PreambleDriver<SPHeaderPreamble>, reactor: Reactor)] = [:]
    }

    private let state = Locked(State())

    /// A number for the next exchange, to name it in ``run(_:_:on:)`` and ``finished(_:)``.
    func reserve() -> UInt64 {
        state.withLock { state in
            state.next += 1
            return state.next
        }
    }

    /// Records exchange `number` and starts its `driver` on `reactor`; once the listener has closed, cancels it
    /// instead (its stream closes).
    func run(_ number: UInt64, _ driver: PreambleDriver<SPHeaderPreamble>, on reactor: Reactor) {
        let open = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.running[number] = (driver, reactor)
            return true
        }
        reactor.execute { open ? driver.start() : driver.cancel() }
    }

    /// Forgets exchange `number`, which completed (its driver's completion, after ``run(_:_:on:)`` recorded it).
    func finished(_ number: UInt64) {
        _ = state.withLock { $0.running.removeValue(forKey: number) }
    }

    /// Cancels every exchange under way (each on its reactor) and every one run later.
    func closeAll() {
        let running = state.withLock { state in
            state.closed = true
            defer { state.running = [:] }
            return Array(state.running.values)
        }
        for (driver, reactor) in running { reactor.execute { driver.cancel() } }
    }
}
