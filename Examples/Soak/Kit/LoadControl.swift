import Synchronization

/// What a running soak tells its loads: when to stop, which client slots to retire (churn), and the
/// next free peer id.
final class LoadControl: Sendable {
    /// One client slot: a client runs in it until retired, then a new client with a new peer id takes over.
    final class Slot: Sendable {
        private let retire = Atomic(false)

        /// Whether the client in this slot should end (and be replaced).
        var retiring: Bool { retire.load(ordering: .relaxed) }

        /// Asks the slot's client to end.
        func retireClient() { retire.store(true, ordering: .relaxed) }

        /// Clears the request, for the next client.
        func reset() { retire.store(false, ordering: .relaxed) }
    }

    private let stop = Atomic(false)
    private let nextPeer = Atomic<UInt32>(1)
    private let connections = Atomic(0)

    /// Whether the load should wind down: clients say bye and close, servers drain.
    var stopped: Bool { stop.load(ordering: .acquiring) }

    /// Tells every load to wind down.
    func stopAll() { stop.store(true, ordering: .releasing) }

    /// Counts a client's successful dial.
    func connected() { connections.add(1, ordering: .relaxed) }

    /// Successful dials so far, churn included.
    var connectedClients: Int { connections.load(ordering: .relaxed) }

    /// A peer id unique within the run (0 is the publisher's).
    func peerID() -> UInt32 { nextPeer.add(1, ordering: .relaxed).oldValue }

    /// Retires `perSecond` random slots each second until the run stops.
    func churn(_ slots: [Slot], perSecond: Int) async {
        guard perSecond > 0, !slots.isEmpty else { return }
        while !stopped {
            try? await Task.sleep(for: .seconds(1))
            if stopped { return }
            for _ in 0..<min(perSecond, slots.count) { slots.randomElement()?.retireClient() }
        }
    }

    /// Waits until `condition` holds, checking every 20 ms, for at most `limit`; gives up early when the
    /// value `progress` returns has not changed for `quiet`. Returns whether `condition` held.
    @discardableResult
    func drain(within limit: Duration, quiet: Duration = .seconds(3), progress: () -> Int,
               until condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var last = progress()
        var lastChange = clock.now
        while !condition() {
            if clock.now >= deadline || clock.now - lastChange >= quiet { return false }
            try? await Task.sleep(for: .milliseconds(20))
            let now = progress()
            if now != last {
                last = now
                lastChange = clock.now
            }
        }
        return true
    }
}
