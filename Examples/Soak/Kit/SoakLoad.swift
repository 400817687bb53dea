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
