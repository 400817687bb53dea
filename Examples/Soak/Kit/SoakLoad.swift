/// One pattern's server and clients inside a soak run.
protocol SoakLoad: Sendable {
    /// The pattern.
    var pattern: SoakPattern { get }
    /// Runs clients against the server until `control` stops, then lets every client finish (bye, close),
    /// drains the server and closes it. Returns when everything is closed.
    func run(_ control: LoadControl) async
    /// The counters now.
    func tally() -> SoakTally
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
