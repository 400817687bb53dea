@_spi(Internals) import MultiSocketConnector

/// Byte streams over one ``Socket``: listen for streams by name, connect to a named listener on a peer, and
/// carry any number of streams over the socket's pipes, each with its own flow-control window.
///
/// The endpoint reads every message of its socket (do not receive from that socket elsewhere) on one
/// dispatcher task it starts in `init`; replies follow `message.source`, so a stream works through any
/// number of ``Switch``es. A connect goes to one peer, as `send` picks it. The socket stays the caller's:
/// dial and listen on it as usual (a `raw=true` endpoint turns each plain TCP client into a stream for
/// ``listenRaw()``). Call ``close()`` when done; it does not close the socket.
///
/// Wire protocol and guarantees: DESIGN.md §15.
public final class StreamEndpoint: Sendable {
    let core: EndpointCore

    /// The socket the streams travel over.
    public var socket: Socket { core.socket }
    /// The options every stream of this endpoint uses.
    public var options: StreamOptions { core.options }

    /// Wraps `socket` (a to-one sender that receives: `Socket()`), starting the dispatcher task and the
    /// keep-alive timer. Runs on the caller's thread; throws nothing.
    public init(socket: Socket, options: StreamOptions = .init()) {
        core = EndpointCore(socket: socket, options: options)
        core.start()
    }

    /// Makes a listener for streams that connect to `name`. Any thread.
    /// - Throws: ``StreamError`` `addressInUse` (a listener has that name), `invalidArgument` (a name over
    ///   1024 UTF-8 bytes), `connectionClosed` (the endpoint was closed).
    public func listen(_ name: String) throws(StreamError) -> StreamListener {
        StreamListener(core: try core.listen(name), endpoint: core)
    }

    /// Makes the listener that hands out one stream per raw pipe (a plain TCP client of a `raw=true` dial or
    /// listen on the socket): its bytes are the stream's, and closing the stream closes the connection.
    ///
    /// Raw peers get no credit messages: when a raw stream's buffer holds a window, the dispatcher waits
    /// for its reader, holding up everything behind it on the socket. So give raw listeners a socket of
    /// their own and relay onward through another endpoint (as ``StreamProxy`` and the bridge example do):
    /// on one shared socket, the credit the onward stream needs would queue behind the waiting raw bytes.
    /// A raw pipe closes when its peer ends its sending side (the Connector's raw rule), so a raw client
    /// cannot half-close and still read; and closing a raw stream (or half-closing it) closes the
    /// connection once what was written to it has been handed to the kernel.
    /// - Throws: ``StreamError`` `addressInUse` (the raw listener exists), `connectionClosed`.
    public func listenRaw() throws(StreamError) -> StreamListener {
        StreamListener(core: try core.listenRaw(), endpoint: core)
    }

    /// Opens a stream to the listener `name` of the peer that a to-one send of the socket reaches; returns
    /// once that listener accepted it. Waits for a peer like `send` does, then for the acknowledgement
    /// until `timeout` (`nil`: no limit). Cancellation ends the wait with `CancellationError`.
    /// - Throws: ``StreamError`` `connectionRefused` (no such listener, or it is closing),
    ///   `listenQueueFull` (temporary), `connectionTimedOut` (temporary), `connectionClosed`,
    ///   `invalidArgument`; the socket's errors from sending the request.
    public func connect(_ name: String, timeout: Duration? = nil) async throws -> StreamConnection {
        StreamConnection(core: try await core.connect(name, timeout: timeout))
    }

    /// Closes every listener (connects queued in them are refused) and every stream (peers are told, waiting
    /// operations end with `connectionClosed`), stops the dispatcher and the keep-alive timer. Idempotent; the
    /// socket stays open. Not cancellable.
    public func close() async {
        await core.close()
    }

    /// Streams in the endpoint's table (those queued in listeners included), streams queued in its listeners,
    /// and raw pipes with a stream: what must return to zero once every stream ended (the tests' leak check).
    @_spi(Internals) public var tableCounts: (streams: Int, queued: Int, rawPipes: Int) { core.tableCounts }

    /// Frames dropped as malformed, for streams it does not have, protocol violations, and connects refused.
    @_spi(Internals) public var dropCounts: (malformed: Int, unknownStream: Int, violations: Int, refused: Int) {
        let counters = core.counters
        return (counters[.malformed, default: 0], counters[.unknownStream, default: 0],
                counters[.protocolViolation, default: 0], counters[.refused, default: 0])
    }
}
