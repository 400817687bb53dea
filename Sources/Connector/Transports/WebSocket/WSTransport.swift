/// The ws transport (`ws://host:port/path`, RFC 6455), served by ``WebSocketTransport``. The path defaults
/// to `/` and goes into the HTTP request line, so it has no space, control character or `#`.
struct WSTransport: Transport {
    var schemes: [String] { ["ws"] }
    var addressForm: AddressForm { .network(defaultPath: "/") }

    /// Rejects a path that cannot go into an HTTP request line.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        guard address.path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "#") }) else {
            throw MultiSocketError(.badAddress, "the path has a space, control character or '#'")
        }
    }

    /// Connects and performs the client handshake without blocking; `completion` runs once, on the reactor
    /// thread or the caller's.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        WebSocketTransport.dial(address, options: options, reactor: reactor) {
            completion($0.map(TransportConnection.link))
        }
    }

    /// Listens on the address's path, sharing its host and port with other ws listeners of this process;
    /// connections that complete the handshake go to `accept` on the reactor thread.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try WebSocketTransport.listen(address, options: options, reactor: reactor) { accept(.link($0)) }
    }
}
