/// Whether a socket delivers what it receives.
public enum ReceiveStrategy: Sendable, Hashable {
    /// Every message goes to exactly one of the socket's concurrent receivers.
    case all
    /// Nothing is delivered (counted as ``DropReason/receiveDisabled``); pipes are still read so that
    /// closed peers are noticed. ``Socket/receive()`` is refused with ``/MultiSocketConnector/MultiSocketError/Code/notSupported``.
    case none
}
