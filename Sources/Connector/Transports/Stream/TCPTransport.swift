/// The tcp transport (`tcp://host:port`): non-blocking TCP sockets on the reactor, multisocket frames.
struct TCPTransport: Transport {
    var schemes: [String] { ["tcp"] }
    var addressForm: AddressForm { .network(defaultPath: nil) }

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

    /// Binds and listens; accepted connections go to `accept` on the reactor thread.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try StreamTransport.listen(address, options: options, reactor: reactor) { accept(.link($0)) }
    }
}
