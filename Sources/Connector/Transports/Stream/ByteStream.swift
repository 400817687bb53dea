import Glibc

/// A connected, non-blocking byte stream: the seam the library's stream link does all its I/O through.
///
/// A plain socket is a ``SocketStream``; a TLS stream (OpenSSL over memory BIOs, or non-blocking SSL over the
/// descriptor) conforms the same way and the link does not change. The link registers ``descriptor`` with its
/// reactor (edge-triggered) and, on each readiness event, reads until ``ByteStreamRead/wouldBlock`` and
/// retries a blocked write when the descriptor turns writable. So a conformance must:
///
/// - report ``ByteStreamRead/wouldBlock`` only when a new readiness event will come for what it waits on (a
///   TLS stream whose record is incomplete says `wouldBlock` although the descriptor was readable: fine, the
///   rest of the record raises the next edge);
/// - set ``holdsReadBytes`` if it can hold bytes already taken from the descriptor (decrypted plaintext
///   beyond what the caller's buffer took): the link then never assumes a short read emptied the stream;
/// - tell a clean end (``ByteStreamRead/end``) from a stream cut short (``ByteStreamError/truncated``, a TLS
///   stream that ended without close_notify).
///
/// Threads: the read side (``read(into:)``, ``unreadByteCount()``, ``pendingFailure()``) runs on the reactor
/// thread of the link; ``write(_:)`` runs on whichever thread holds the link's writer role, possibly at the
/// same time as a read; ``shutdownWrite()`` and ``close(sendingFirst:)`` run on the reactor thread once no
/// write is under way. A conformance whose two sides share state (an SSL object) guards it itself. No method
/// blocks or suspends; none allocates on the read and write paths of ``SocketStream``.
public protocol ByteStream: AnyObject, Sendable {
    /// The descriptor whose readiness the reactor reports for this stream (edge-triggered read, write and
    /// hang-up events). Constant for the stream's life; closed by ``close(sendingFirst:)``.
    var descriptor: Int32 { get }

    /// Whether the stream can hold bytes already taken from ``descriptor`` that a later ``read(into:)``
    /// returns without a new readiness event (TLS plaintext decrypted ahead). `false` for a plain socket: a
    /// read that does not fill the buffer then means the kernel had no more, and any later byte raises a new
    /// event. Constant for the stream's life (the link reads it once).
    var holdsReadBytes: Bool { get }

    /// Reads up to `buffer.count` bytes (at least 1) into `buffer`. Reactor thread. Retries `EINTR` itself.
    ///
    /// - Returns: ``ByteStreamRead/bytes(_:)`` with how many arrived (1…`buffer.count`);
    ///   ``ByteStreamRead/wouldBlock`` when nothing can be read until the next readiness event;
    ///   ``ByteStreamRead/end`` when the peer ended the stream in order; ``ByteStreamRead/failed(_:)`` when
    ///   the stream broke (nothing more will come).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ByteStreamRead

    /// Writes the segments in order, as far as the stream takes them now, without copying them first (a
    /// socket hands them all to one `sendmsg`). Any thread holding the link's writer role. Retries `EINTR`
    /// itself and never raises `SIGPIPE`.
    ///
    /// - Parameter segments: one or more non-empty segments (the link passes at most 17).
    /// - Returns: ``ByteStreamWrite/wrote(_:)`` with how many bytes, counted from the first segment, the
    ///   stream took (possibly fewer than offered: the caller writes the rest later);
    ///   ``ByteStreamWrite/wouldBlock`` when it takes nothing until the descriptor turns writable;
    ///   ``ByteStreamWrite/failed(_:)`` when the stream can carry nothing more.
    func write(_ segments: UnsafeBufferPointer<iovec>) -> ByteStreamWrite

    /// Ends the write side in order (a socket's `SHUT_WR`; TLS sends close_notify first): the peer reads
    /// the end of the stream after what was written. Reactor thread, no write under way. Best effort: a
    /// broken stream is left as it is.
    func shutdownWrite()

    /// How many bytes arrived that no ``read(into:)`` has returned yet (the kernel's receive queue, plus what
    /// a TLS stream holds), to report what a reset discarded. Reactor thread.
    func unreadByteCount() -> Int

    /// After an error event on ``descriptor``: the failure it reports, or `nil` when the stream is still
    /// whole or was only closed in order by the peer (a write that met the closed end, `EPIPE`: what the
    /// peer sent before is whole). Reactor thread; reading it clears a socket's pending error.
    func pendingFailure() -> ByteStreamError?

    /// Closes the stream for good after one best-effort, non-blocking write of `goodbye` (a WebSocket close
    /// frame; may be empty). A TLS stream sends close_notify after it. Reactor thread, no write under way,
    /// called once; the descriptor is no longer registered with the reactor.
    func close(sendingFirst goodbye: [UInt8])

    /// The peer's verified certificate, for a stream that verified one (TLS); `nil` otherwise. Any thread;
    /// constant once the stream is handed to the library.
    var peerCertificate: PeerCertificate? { get }
}

extension ByteStream {
    /// `nil`: the stream knows nothing of its peer's identity.
    public var peerCertificate: PeerCertificate? { nil }
}
