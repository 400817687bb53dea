import Synchronization

/// A pattern's running counters, updated by its clients and server from any task.
final class PatternCounters: Sendable {
    let sent = Atomic(0)
    let received = Atomic(0)
    let lost = Atomic(0)
    let corrupt = Atomic(0)
    /// Messages missing at receivers (pubsub: to be set against the publisher's counted drops).
    let missing = Atomic(0)
    let errors = Atomic(0)
    let clients = Atomic(0)
}

extension PatternCounters {
    /// The shared part of a tally.
    func tally(_ pattern: SoakPattern) -> SoakTally {
        var tally = SoakTally(pattern: pattern)
        tally.sent = sent.value
        tally.received = received.value
        tally.lost = lost.value
        tally.corrupt = corrupt.value
        tally.missing = missing.value
        tally.errors = errors.value
        tally.clients = clients.value
        return tally
    }
}

extension Atomic where Value == Int {
    /// Adds `amount`, relaxed: the counters order nothing.
    func bump(_ amount: Int = 1) {
        add(amount, ordering: .relaxed)
    }

    /// The value now, relaxed.
    var value: Int { load(ordering: .relaxed) }
}
