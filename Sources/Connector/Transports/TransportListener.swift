/// A transport's listening endpoint, as the connector sees it.
package protocol TransportListener: AnyObject, Sendable {
    /// The address actually bound (a tcp or ws port 0 replaced by the real port).
    var address: Address { get }
    /// Stops accepting and releases the endpoint (the port or socket file is free again when this
    /// returns); idempotent. Accepted links are not affected.
    func close() async
}
