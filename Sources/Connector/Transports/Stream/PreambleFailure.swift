/// A failure of a preamble's stream that ``PreambleDriver`` detects (the preamble names its error through
/// ``Preamble/error(for:)``).
package enum PreambleFailure: Equatable, Sendable {
    /// The preamble did not complete within its ``Preamble/timeout``.
    case timedOut
    /// The peer ended the stream before the preamble completed.
    case ended
    /// The stream broke.
    case broken(ByteStreamError)
    /// The stream could not be registered with the reactor.
    case unregistrable
    /// ``PreambleDriver/cancel()`` stopped it (its listener is closing).
    case cancelled
}
