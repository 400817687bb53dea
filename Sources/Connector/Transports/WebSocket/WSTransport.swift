/// The ws transport (`ws://host:port/path`, RFC 6455) and, over TLS, wss (`wss://host:port/path`), served by
/// ``WebSocketTransport``. The path defaults to `/` and goes into the HTTP request line, so it has no space,
/// control character or `#`. wss runs the TLS handshake (``TLSTransport``, configured by
/// ``EndpointOptions/tls``) before the upgrade; everything after is the same.
///
/// ``sp`` is the Scalability Protocols ws mapping (`sp+ws://host:port/path`, sp-websocket-mapping): the
/// subprotocol names the SP protocol (`rep.sp.nanomsg.org`; a client asks for its peer's, a listener accepts
/// its own) and each binary message carries one SP message (``SPMessageCodec``). ws and sp+ws share ports.
struct WSTransport: Transport {
    /// wss: the WebSocket transport over TLS, loading OpenSSL at its first dial or listen.
    static let secure = WSTransport(scheme: "wss", tls: TLSTransport.system)
    /// `sp+ws://host:port/path`.
    static let sp = WSTransport(scheme: "sp+ws", scalabilityProtocols: true)

    let schemes: [String]
    /// How a wss transport loads OpenSSL; `nil` for ws and sp+ws.
    private let tls: TLSTransport.Library?
    /// Whether this is the SP mapping.
    private let scalabilityProtocols: Bool

    /// ws, or the transport for `scheme` over TLS when `tls` loads OpenSSL (a test gives one that fails), or
    /// the SP mapping with `scalabilityProtocols`.
    init(scheme: String = "ws", tls: TLSTransport.Library? = nil, scalabilityProtocols: Bool = false) {
        schemes = [scheme]
        self.tls = tls
        self.scalabilityProtocols = scalabilityProtocols
    }

    var addressForm: AddressForm { .network(defaultPath: "/") }

    /// Rejects a path that cannot go into an HTTP request line, and for sp+ws what ``SPTransport`` rejects.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        if scalabilityProtocols { try SPTransport.validate(options) }
        guard address.path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "#") }) else {
            throw MultiSocketError(.badAddress, "the path has a space, control character or '#'")
        }
    }

    /// Connects (and for wss completes the TLS handshake), then performs the client handshake without
    /// blocking; `completion` runs once, on the reactor thread or the caller's.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        let marked: PipeOptions
        do {
            marked = try wireOptions(options)
        } catch {
            return completion(.failure(error))
        }
        WebSocketTransport.dial(address, options: marked, reactor: reactor, tls: tls) {
            completion($0.map(TransportConnection.link))
        }
    }

    /// Listens on the address's path, sharing its host and port with other listeners of the same scheme in
    /// this process; connections that complete the handshakes go to `accept` on the reactor thread.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try listen(address, options: options, reactor: reactor, accept: accept) { _, _ in }
    }

    /// Listens as ``listen(_:options:reactor:accept:)``; for wss, each connection whose TLS handshake fails
    /// or times out goes to `rejected` (its peer's address and the error) on the reactor thread.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void,
        rejected: @escaping @Sendable (_ peer: String?, _ error: MultiSocketError) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try WebSocketTransport.listen(address, options: wireOptions(options), reactor: reactor, tls: tls,
                                      rejected: rejected) {
            accept(.link($0))
        }
    }

    /// `options` marked with this transport's wire.
    /// - Throws: ``MultiSocketError`` `badAddress` for an sp+ws endpoint that names no SP protocol.
    private func wireOptions(_ options: PipeOptions) throws(MultiSocketError) -> PipeOptions {
        guard scalabilityProtocols else { return options }
        _ = try SPTransport.protocolNumber(options)
        var marked = options
        marked.scalabilityProtocols = true
        return marked
    }
}
