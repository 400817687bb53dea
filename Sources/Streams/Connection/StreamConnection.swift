@_spi(Internals) import MultiSocketConnector

/// One byte stream between two ``StreamEndpoint``s (or a raw TCP peer): ordered, flow-controlled,
/// half-closable, with deadlines.
///
/// Reads and writes run on the caller's task; one reader and one writer may work at once (concurrent
/// writers interleave at chunk boundaries). Dropping the last reference closes the stream without waiting.
public final class StreamConnection: Sendable {
    let core: StreamCore

    init(core: StreamCore) {
        self.core = core
    }

    deinit {
        core.abandon()
    }

    /// Reads up to `maximumCount` bytes, waiting for at least one; `nil` at end of stream (the peer
    /// half-closed or closed, or ``closeRead()`` was called). Reading gives the peer credit to send more.
    /// Cancellation throws `CancellationError` and consumes nothing.
    /// - Throws: ``StreamError`` `readTimeout` (the ``readDeadline`` passed; temporary, nothing consumed),
    ///   `connectionClosed` (closed here), `connectionReset` / `keepAliveTimeout` (the peer is gone; what
    ///   was buffered is read first).
    public func read(upToCount maximumCount: Int) async throws -> [UInt8]? {
        try await core.read(upTo: maximumCount)
    }

    /// Appends up to `maximumCount` read bytes to `buffer` and returns how many; 0 at end of stream.
    /// Waits, throws and is cancelled as ``read(upToCount:)``.
    public func read(into buffer: inout [UInt8], maximumCount: Int = 64 * 1024) async throws -> Int {
        guard let bytes = try await core.read(upTo: maximumCount) else { return 0 }
        buffer.append(contentsOf: bytes)
        return bytes.count
    }

    /// Writes all of `bytes`, in chunks of ``StreamOptions/chunkSize``, each once the peer's window has room:
    /// a peer that does not read holds this write (and only this stream). Cancellation throws
    /// `CancellationError`; chunks already sent stay sent.
    /// - Throws: ``StreamError`` `writeTimeout` (the ``writeDeadline`` passed; temporary), `connectionClosed`
    ///   (closed or half-closed here, or closed by the peer), `connectionReset` / `keepAliveTimeout`.
    public func write<Bytes: Sequence<UInt8>>(_ bytes: Bytes) async throws {
        try await core.write(Array(bytes))
    }

    /// Half-closes: the peer reads what was written, then end of stream, and may still write back. For a raw
    /// peer, closes its connection (a message socket cannot half-close TCP). Idempotent.
    /// - Throws: the socket's errors from sending the notice.
    public func closeWrite() async throws {
        try await core.closeWrite()
    }

    /// Stops reading: buffered and later bytes are discarded (credited back, so the peer's writes still
    /// complete), and reads return end of stream. Any thread; idempotent.
    public func closeRead() {
        core.closeRead()
    }

    /// Closes both ways and tells the peer (its reads end after what it buffered, its writes fail); pending
    /// operations here end with `connectionClosed`. Idempotent, not cancellable.
    public func close() async {
        await core.close(waiting: true)
    }

    /// When reads stop waiting with `readTimeout` (`nil`: never). Applies to reads waiting now only from
    /// their next wait.
    public var readDeadline: ContinuousClock.Instant? {
        get { core.state.withLock { $0.readDeadline } }
        set { core.state.withLock { $0.readDeadline = newValue } }
    }

    /// When writes waiting for the peer's credit stop with `writeTimeout` (`nil`: never).
    public var writeDeadline: ContinuousClock.Instant? {
        get { core.state.withLock { $0.writeDeadline } }
        set { core.state.withLock { $0.writeDeadline = newValue } }
    }

    /// The stream's bytes as they arrive, in chunks of at most ``StreamOptions/chunkSize``; ends at end
    /// of stream, throws what ``read(upToCount:)`` throws.
    public var chunks: StreamChunks { StreamChunks(connection: self) }

    /// This side's stream id (unique in its endpoint while the stream lives).
    public var id: UInt32 { core.localID }

    /// Whether the peer is a raw pipe (plain TCP bytes) rather than a stream endpoint.
    public var isRaw: Bool { core.isRaw }
}
