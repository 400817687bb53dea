/// What a ``Preamble`` decided after looking at the bytes received so far.
package enum PreambleStep<Outcome> {
    /// Not enough yet: read more.
    case needMore
    /// Done. The first `consumed` bytes received were the preamble's; the rest go to the framing. `reply`
    /// (may be empty) is written before the stream is handed on.
    case done(Outcome, consumed: Int, reply: [UInt8])
    /// Refused with `error`. `reply` (may be empty: then the stream closes at once) is written, the write
    /// side is ended, and the stream closes when the peer closes it or `linger` has passed, so that the peer
    /// can read why.
    case refused(MultiSocketError, reply: [UInt8], linger: Duration)
}
