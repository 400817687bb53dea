/// The transport-specific half of a pipe: how bytes or messages actually move.
package protocol PipeLink: AnyObject, Sendable {
    /// Starts delivering to `delegate`. Before this, nothing is read. `onClose` runs once when the link
    /// closes, for whatever reason.
    func start(pipeID: UInt32, delegate: any PipeDelegate, onClose: @escaping @Sendable () -> Void)
    /// Queues or writes a message; never blocks.
    func send(_ message: Message) -> PipeSendResult
    /// Queues or writes messages from the front of `batch` while there is room, under one lock; never
    /// blocks. What was not taken stays in `batch`, in order; unencodable messages are dropped from it.
    func send(batch: inout Ring<Message>) -> PipeBatchSendResult
    /// Lets a paused link deliver again.
    func resumeReceiving()
    /// Closes the link; idempotent. `onClose` follows (at once or on the reactor thread).
    func close()
    /// Whether the link carries plain bytes to a raw (non-multisocket) peer.
    var isRaw: Bool { get }
    /// Whether messages are queued that the transport has not taken yet. When there are, the link reports
    /// ``PipeDelegate/pipeDrained(_:)`` once it has taken them all (a closing socket waits for that).
    func watchPendingOutput() -> Bool
    /// Reports the bytes the link holds (its read buffer's size, and output queued but not yet written),
    /// from the link's own thread: for diagnostics and tests of its bounds.
    func footprint(_ report: @escaping @Sendable (_ readBuffer: Int, _ output: Int) -> Void)
    /// The address of this end, as text.
    var localAddress: String { get }
    /// The address of the other end, as text.
    var remoteAddress: String { get }
    /// The peer's verified certificate, when the link's stream verified one (TLS). Any thread.
    var peerCertificate: PeerCertificate? { get }
}

extension PipeLink {
    /// `nil`: the link's transport verifies no certificate.
    package var peerCertificate: PeerCertificate? { nil }
}
