/// The ipc transport (`ipc:///path`): non-blocking Unix-domain stream sockets on the reactor, multisocket
/// frames. The path is at most 107 bytes (the size of `sun_path` less its terminator).
struct IPCTransport: Transport {
    var schemes: [String] { ["ipc"] }
    var addressForm: AddressForm { .local }

    /// Rejects a path longer than 107 bytes.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        guard address.path.utf8.count < 108 else {
            throw MultiSocketError(.badAddress, "ipc path longer than 107 bytes")
        }
    }

    /// Connects without blocking; `completion` runs once, on the reactor thread or the caller's.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        StreamTransport.dial(address, options: options, reactor: reactor) {
            completion($0.map(TransportConnection.link))
        }
    }

    /// Binds (replacing a stale socket file) and listens; accepted connections go to `accept` on the reactor
    /// thread.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try StreamTransport.listen(address, options: options, reactor: reactor) { accept(.link($0)) }
    }
}
