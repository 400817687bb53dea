/// One live connection to one peer, with a process-unique id.
///
/// Pipes are made by a ``Connector`` from dialed or accepted connections; their ids are what message
/// paths record.
public final class MessagePipe: Sendable, CustomStringConvertible {
    /// The pipe's id: 31-bit, nonzero, unique in the process while the pipe lives.
    public let id: UInt32
    /// The address given to the dialer or listener that made this pipe.
    public let address: String
    /// Whether this pipe was dialed (`true`) or accepted (`false`).
    public let isDialed: Bool
    /// Whether the peer is raw: it speaks plain bytes, not multisocket frames (reference §1.5). Raw
    /// pipes deliver each chunk read as a message flagged ``MessageFlags/raw``, announce their start and
    /// end as ``Message/Kind/connected`` and ``Message/Kind/endOfStream`` messages, write only the content
    /// of unflagged messages, and never take to-one messages.
    public var isRaw: Bool { link.isRaw }
    /// The local end's address.
    public var localAddress: String { link.localAddress }
    /// The remote end's address.
    public var remoteAddress: String { link.remoteAddress }
    /// The peer's certificate when TLS verified one (`tls+tcp://`, `wss://`: a dialer's server, a mutual-TLS
    /// listener's client), else `nil`: read it in `SocketOptions.pipeVeto` to admit or refuse a peer by its
    /// subject or alternative names. Any thread.
    public var peerCertificate: PeerCertificate? { link.peerCertificate }

    package let link: any PipeLink

    package init(id: UInt32, address: String, isDialed: Bool, link: any PipeLink) {
        self.id = id
        self.address = address
        self.isDialed = isDialed
        self.link = link
    }

    /// Closes the pipe; idempotent. The connector removes it and, for a dialed pipe, redials.
    public func close() {
        link.close()
    }

    /// The bytes the pipe's link holds: its read buffer's size and the output queued but not yet written.
    package func footprint() async -> (readBuffer: Int, output: Int) {
        await withCheckedContinuation { continuation in
            link.footprint { continuation.resume(returning: ($0, $1)) }
        }
    }

    /// Lets a pipe that the receiver paused deliver again.
    package func resumeReceiving() {
        link.resumeReceiving()
    }

    /// The pipe's id and address.
    public var description: String { "pipe \(id) (\(isDialed ? "dialed" : "accepted") \(address))" }
}
