/// What ``Socket/trySend(_:)`` did: a result per message, not an error, so that a protocol layer can
/// decide what to do with a message no peer could take right now.
public enum TrySendResult: Sendable, Hashable {
    /// The pipe with this id took the message (it is written or in the pipe's outbound queue).
    case sent(pipeID: UInt32)
    /// Peers exist but none can take the message now: every pipe is busy, or messages wait in the shared
    /// queue ahead of it. Nothing was sent.
    case wouldBlock
    /// No pipe could take a to-one message (none is connected, or every one is raw or can no longer
    /// send). Nothing was sent.
    case noPeer
}
