/// The ws transport (`ws://host:port/path`, RFC 6455) and, over TLS, wss (`wss://host:port/path`), served by
/// ``WebSocketTransport``. The path defaults to `/` and goes into the HTTP request line, so it has no space,
/// control character or `#`. wss runs the TLS handshake (``TLSTransport``, configured by
/// ``EndpointOptions/tls``) before the upgrade; everything after is the same.
struct WSTransport: Transport {
    /// wss: the WebSocket transport over TLS, loading OpenSSL with `library` at its first dial or listen.
    static let secure = WSTransport(scheme: "wss", tls: TLSTransport.system)

    let schemes: [String]
    /// How a wss transport loads OpenSSL; `nil` for ws.
    private let tls: TLSTransport.Library?

    /// ws, or the transport for `scheme` over TLS when `tls` loads OpenSSL (a test gives one that fails).
    init(scheme: String = "ws", tls: TLSTransport.Library? = nil) {
        schemes = [scheme]
        self.tls = tls
    }

    var addressForm: AddressForm { .network(defaultPath: "/") }

    /// Rejects a path that cannot go into an HTTP request line.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
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
        WebSocketTransport.dial(address, options: options, reactor: reactor, tls: tls) {
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
        try WebSocketTransport.listen(address, options: options, reactor: reactor, tls: tls) { accept(.link($0)) }
    }
}
