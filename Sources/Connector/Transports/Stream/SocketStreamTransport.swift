/// The tcp (`tcp://host:port`) and ipc (`ipc:///path`) transports: non-blocking stream sockets on the reactor
/// carrying multisocket frames, both served by ``StreamTransport``. They differ only in their scheme and the
/// form of their addresses; an ipc path is at most 107 bytes (the size of `sun_path` less its terminator).
struct SocketStreamTransport: Transport {
    /// `tcp://host:port`.
    static let tcp = SocketStreamTransport(scheme: "tcp", addressForm: .network(defaultPath: nil))
    /// `ipc:///path`.
    static let ipc = SocketStreamTransport(scheme: "ipc", addressForm: .local)

    private let scheme: String
    let addressForm: AddressForm

    private init(scheme: String, addressForm: AddressForm) {
        self.scheme = scheme
        self.addressForm = addressForm
    }

    var schemes: [String] { [scheme] }

    /// Rejects a Unix-domain path longer than 107 bytes; a tcp address needs no check beyond its form.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        guard addressForm == .local, address.path.utf8.count >= 108 else { return }
        throw MultiSocketError(.badAddress, "ipc path longer than 107 bytes")
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

    /// Binds (for ipc, replacing a stale socket file) and listens; accepted connections go to `accept` on the
    /// reactor thread.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try StreamTransport.listen(address, options: options, reactor: reactor) { accept(.link($0)) }
    }
}
