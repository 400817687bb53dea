/// A way to connect: the schemes it serves, how to dial and listen on their addresses.
///
/// tcp, ipc, ws, inproc and the Scalability Protocols' sp+tcp, sp+ipc and sp+ws are transports registered by
/// default; register another with
/// ``Transports/register(_:)`` and every socket can dial and listen on its scheme. A transport hands back
/// each connection as a ``TransportConnection``: one from outside this package gives a connected socket
/// descriptor or any ``ByteStream`` (a TLS stream, say), which the library wraps in its own stream link with
/// the endpoint's framing (multisocket frames, or plain bytes with ``EndpointOptions/raw``), exactly as for
/// tcp and ipc.
///
/// Threads: `validate`, `dial` and `listen` are called on the caller's thread (the task calling
/// `Socket.dial`/`listen`, or the reactor thread when a dialer retries). `dial`'s completion and
/// `listen`'s accept callback may be called on any thread — typically `reactor`'s, from a
/// ``ReactorHandler`` the transport registered, or the caller's when the result is known at once. None of
/// these may block: wait for readiness on `reactor` instead.
public protocol Transport: Sendable {
    /// The schemes this transport serves, lowercase (`["tcp"]`).
    var schemes: [String] { get }

    /// How the text of this transport's addresses is laid out.
    var addressForm: AddressForm { get }

    /// Checks `address` (already in ``addressForm``) with the options its endpoint would use: at parse
    /// time (the query over the default options), and again before each dial and listen (the query over
    /// the socket's or the call's options). The default accepts everything.
    ///
    /// - Throws: ``MultiSocketError`` with code `badAddress` and the reason, for an address or an option
    ///   this transport cannot serve.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError)

    /// Starts connecting to `address` and returns at once; calls `completion` exactly once, with the
    /// connection or the error. The connection belongs to the library from then on.
    ///
    /// Errors passed to `completion`: ``MultiSocketError`` with code `connectionRefused` (nobody listens;
    /// the dialer retries), `timedOut`, `badAddress` (cannot resolve), `protocolMismatch` (the peer's
    /// handshake failed) or `systemError`.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    )

    /// Binds `address` and starts accepting without blocking: each accepted connection goes to `accept`.
    /// Returns the listener, whose ``TransportListener/address`` is the address actually bound (a port 0
    /// replaced by the real one).
    ///
    /// - Throws: ``MultiSocketError`` with code `addressInUse`, `badAddress` (cannot resolve or bind there)
    ///   or `systemError`.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener

    /// ``listen(_:options:reactor:accept:)`` for a listener that can drop connections before handing them
    /// on: each connection it accepted and then dropped because its handshake failed or timed out (TLS, a
    /// WebSocket upgrade) is reported to `rejected`, once, with the peer's address when known and the
    /// error, on any thread (typically the reactor's); the listener keeps accepting. The connector calls
    /// this one, so a socket counts and reports the rejections.
    ///
    /// The default calls ``listen(_:options:reactor:accept:)`` and never calls `rejected`: a transport whose
    /// listener hands on every connection it accepts needs nothing more.
    ///
    /// - Throws: as ``listen(_:options:reactor:accept:)``.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void,
        rejected: @escaping @Sendable (_ peer: String?, _ error: MultiSocketError) -> Void
    ) throws(MultiSocketError) -> any TransportListener
}

extension Transport {
    /// Accepts every address and option.
    public func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {}

    /// Listens with ``listen(_:options:reactor:accept:)``; reports no rejection. Caller's thread.
    ///
    /// - Throws: what ``listen(_:options:reactor:accept:)`` throws.
    public func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void,
        rejected: @escaping @Sendable (_ peer: String?, _ error: MultiSocketError) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try listen(address, options: options, reactor: reactor, accept: accept)
    }
}
