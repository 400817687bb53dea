/// A handshake run over a ``ByteStream`` before framing starts: the WebSocket opening handshake (either
/// side), later the SP header exchange or a TLS handshake's application checks.
///
/// A preamble is a small state machine that does no I/O: ``PreambleDriver`` sends its ``opening()`` bytes,
/// shows it every byte received until it is done, writes its reply, and hands the stream on — with the
/// bytes that arrived past the preamble, which belong to the framing. It runs on the reactor thread of its
/// driver and is never called concurrently; it must decide within a bounded number of bytes (it sees them
/// all, so it refuses a peer that sends too many) and within ``timeout``.
package protocol Preamble: Sendable {
    /// What a completed preamble learnt (the route a WebSocket request chose, the peer's protocol).
    associatedtype Outcome: Sendable

    /// How long the preamble may take from ``PreambleDriver/start()`` until it is done; then it fails with
    /// ``error(for:)`` of ``PreambleFailure/timedOut``.
    var timeout: Duration { get }

    /// The bytes to send first (a client's request, an SP header); empty when this side waits for the
    /// peer. Called once, when the driver starts.
    mutating func opening() -> [UInt8]

    /// Looks at everything received so far, of which the first `searchedBefore` bytes were shown before
    /// (so a search for a delimiter resumes where it stopped). Nothing is consumed until it says
    /// ``PreambleStep/done(_:consumed:reply:)``.
    mutating func received(_ bytes: [UInt8], searchedBefore: Int) -> PreambleStep<Outcome>

    /// The error that a failure the driver met is reported as.
    func error(for failure: PreambleFailure) -> MultiSocketError
}
