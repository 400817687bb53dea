/// The state of one stream, behind its core's lock: phase, peer, read buffer, credit, half-closes, keep-alive
/// and waiters. Mutated only inside `Locked.withLock`; the transitions return what to do after the lock.
struct StreamCoreState: HasWaiters {
    enum Phase: Sendable { case connecting, open }

    var phase: Phase
    /// The peer's stream id (0 for a raw peer).
    var peerID: UInt32 = 0
    /// The path back to the peer (a raw peer: its pipe).
    var peerPath = MessagePath()
    /// Received bytes not read yet, in arrival order; `head` indexes the first unread chunk, `offset` its first byte.
    var chunks: [[UInt8]] = []
    var head = 0
    var offset = 0
    /// Bytes in `chunks` not read yet.
    var buffered = 0
    /// The peer will send no more (its closeWrite or close arrived).
    var readEnded = false
    /// `closeRead()` was called here: data is discarded and credited back.
    var readClosed = false
    /// `closeWrite()` or `close()` was called here.
    var writeClosed = false
    /// The peer closed the stream: writes fail.
    var peerClosed = false
    /// `close()` was called here (or the connection was dropped): every operation says `connectionClosed`.
    var closedHere = false
    /// `close()` was called here, or the stream ended in error.
    var failure: StreamError?
    /// Bytes this side may still send.
    var credit = 0
    /// Bytes read here and not yet credited back to the peer.
    var unacked = 0
    /// When the peer was last heard from, and the probes sent since.
    var lastHeard = ContinuousClock.now
    var probes = 0
    var readDeadline: ContinuousClock.Instant?
    var writeDeadline: ContinuousClock.Instant?
    /// Why the connect failed (refused), while connecting.
    var refusal: StreamError?
    var waiters = WaiterTable()

    /// Whether a read would not wait.
    var readable: Bool { buffered > 0 || readEnded || readClosed || failure != nil }
    /// Whether a write would not wait.
    var writable: Bool { credit > 0 || failure != nil || writeClosed || peerClosed }

    /// Appends received bytes.
    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        chunks.append(bytes)
        buffered += bytes.count
    }

    /// Takes up to `maximum` buffered bytes.
    mutating func take(_ maximum: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(min(maximum, buffered))
        while out.count < maximum && head < chunks.count {
            let chunk = chunks[head]
            let count = min(maximum - out.count, chunk.count - offset)
            out.append(contentsOf: chunk[offset..<offset + count])
            offset += count
            if offset == chunk.count {
                chunks[head] = []
                head += 1
                offset = 0
            }
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 32 && head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
        buffered -= out.count
        return out
    }

    /// Drops every buffered byte; returns how many there were.
    mutating func discardBuffer() -> Int {
        let count = buffered
        chunks.removeAll()
        head = 0
        offset = 0
        buffered = 0
        return count
    }
}
