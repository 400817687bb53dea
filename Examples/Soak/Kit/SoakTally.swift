/// What one pattern did during a soak run, and what went wrong.
public struct SoakTally: Sendable, Hashable {
    /// The pattern.
    public var pattern: SoakPattern
    /// Messages handed to the sockets: requests (reqrep), publications (pubsub), pushes (pushpull).
    public var sent = 0
    /// Messages verified at their receiver: replies (reqrep), deliveries to subscribers (pubsub), pulls
    /// (pushpull).
    public var received = 0
    /// Messages that never arrived and are not explained by a counted drop: requests without a reply,
    /// sequence gaps (and, at the end, missing tails) beyond the counted drops.
    public var lost = 0
    /// Messages that arrived wrong: a bad checksum, a reply that is not the request, a duplicate or a
    /// sequence number out of order.
    public var corrupt = 0
    /// Messages a best-effort socket dropped and counted (the publisher's full subscriber queues). It may
    /// exceed ``missing``: a drop for a subscriber that then left is never seen missing.
    public var countedDrops = 0
    /// Messages missing at their receivers (gaps and tails), counted drops included (pubsub only).
    public var missing = 0
    /// Unexpected socket errors.
    public var errors = 0
    /// Clients started, churn included.
    public var clients = 0

    /// Creates an empty tally for `pattern`.
    public init(pattern: SoakPattern) {
        self.pattern = pattern
    }
}
