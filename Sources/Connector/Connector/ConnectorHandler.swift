/// The owner of a connector (the socket): it vets, receives and forgets pipes, and hears about dialing.
/// Calls come from any thread with no connector lock held.
package protocol ConnectorHandler: PipeDelegate {
    /// A pipe is about to be added. Return `nil` to accept it, or a reason to refuse (it is closed).
    func connectorShouldAdd(_ pipe: MessagePipe) -> String?
    /// A pipe was added; the connector starts its link right after this returns.
    func connectorAdded(_ pipe: MessagePipe)
    /// A pipe was refused by ``connectorShouldAdd(_:)`` and closed.
    func connectorRefused(_ pipe: MessagePipe, reason: String)
    /// A pipe closed and was removed.
    func connectorRemoved(_ pipe: MessagePipe)
    /// A dial attempt failed.
    func connectorDialFailed(_ address: String, error: MultiSocketError)
    /// A dialer will try `address` again after `delay`.
    func connectorReconnectScheduled(_ address: String, after delay: Duration)
    /// The listener on `address` (as given to `listen`) dropped a connection from `peer` whose handshake
    /// failed or timed out (`error`: `protocolMismatch`, `timedOut`, …); it keeps listening.
    func connectorRejectedHandshake(_ address: String, peer: String?, error: MultiSocketError)
}
