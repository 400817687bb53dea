import Glibc

/// The Scalability Protocols wire over TLS (`sp+tls+tcp://host:port`, NNG's `tls+tcp`): a TLS stream
/// (``TLSTransport``, configured by ``EndpointOptions/tls``) that carries the SP header exchange and SP tcp
/// framing exactly as ``SPTransport`` puts them on a plain socket.
struct SPTLSTransport: Transport {
    /// How it loads OpenSSL (a test gives one that fails).
    private let library: TLSTransport.Library

    init(library: @escaping TLSTransport.Library = TLSTransport.system) {
        self.library = library
    }

    var schemes: [String] { ["sp+tls+tcp"] }

    var addressForm: AddressForm { .network(defaultPath: nil) }

    /// What ``SPTransport`` rejects (raw pipes, an unknown SP protocol number).
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        try SPTransport.validate(options)
    }

    /// Connects, completes the TLS handshake, then the SP header exchange, without blocking; `completion`
    /// runs once, on the reactor thread or the caller's. Errors: those of ``TLSTransport/connectStream`` and
    /// `protocolMismatch` for a peer of an incompatible SP protocol.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        let local: UInt16
        do {
            local = try SPTransport.protocolNumber(options)
        } catch {
            return completion(.failure(error))
        }
        let scheme = address.scheme
        TLSTransport.connectStream(address, options: options, reactor: reactor, library: library) { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let connected):
                let driver = SPStreamLink.driver(
                    stream: connected.stream, mapping: .tcp, local: local, checksPeer: true, endpoint: "\(address)",
                    options: options, reactor: reactor,
                    localAddress: SystemSocket.describe(connected.stream.descriptor, peer: false, scheme: scheme),
                    remoteAddress: SystemSocket.describe(connected.stream.descriptor, peer: true, scheme: scheme)
                ) { completion($0.map(TransportConnection.link)) }
                reactor.execute { driver.start() }
            }
        }
    }

    /// Binds and listens; each connection that completes the TLS handshake and then the SP header exchange
    /// goes to `accept` on a reactor thread. Closing the listener ends the exchanges still running.
    /// - Throws: as ``TLSTransport/listenStreams``, and `badAddress` when the endpoint names no SP protocol.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        let local = try SPTransport.protocolNumber(options)
        let scheme = address.scheme
        let handshakes = SPHandshakes()
        let inner = try TLSTransport.listenStreams(address, options: options, reactor: reactor, library: library) {
            stream, _ in
            let pipeReactor = reactor.nextForPipe()
            let remote = SystemSocket.describe(stream.descriptor, peer: true, scheme: scheme)
            let number = handshakes.reserve()
            let driver = SPStreamLink.driver(
                stream: stream, mapping: .tcp, local: local, checksPeer: false, endpoint: remote,
                options: options, reactor: pipeReactor,
                localAddress: SystemSocket.describe(stream.descriptor, peer: false, scheme: scheme),
                remoteAddress: remote
            ) { result in
                handshakes.finished(number)
                if case .success(let link) = result { accept(.link(link)) }
            }
            handshakes.run(number, driver, on: pipeReactor)
        }
        var bound = inner.address
        bound.scheme = scheme
        bound.query = address.query
        return SPListener(inner: inner, handshakes: handshakes, address: bound)
    }
}
