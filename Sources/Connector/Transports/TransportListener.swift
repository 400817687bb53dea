/// A transport's listening endpoint, as the connector sees it.
///
/// Accepted connections are not the listener's: closing it leaves them alone.
public protocol TransportListener: AnyObject, Sendable {
    /// The address actually bound (a port 0 replaced by the real port).
    var address: Address { get }
    /// Stops accepting and releases the endpoint (the port or socket file is free again when this
    /// returns); idempotent. Called from any task; it may wait for the reactor thread. Cancellation does
    /// not interrupt it.
    func close() async
}
