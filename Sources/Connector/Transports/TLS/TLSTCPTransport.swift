import Glibc

/// The tls+tcp transport (`tls+tcp://host:port`, NNG's and mangos' name): TCP with TLS (``TLSTransport``),
/// then multisocket frames — or plain bytes with ``EndpointOptions/raw`` — exactly as over tcp.
package struct TLSTCPTransport: Transport {
    package let schemes: [String]
    package var addressForm: AddressForm { .network(defaultPath: nil) }
    private let library: TLSTransport.Library

    /// The transport for `scheme`, loading OpenSSL with `library` (a test gives a loader that fails).
    package init(scheme: String = "tls+tcp", library: @escaping TLSTransport.Library = TLSTransport.system) {
        schemes = [scheme]
        self.library = library
    }

    /// Connects, completes the client handshake, and hands over the stream; `completion` runs once, on
    /// the reactor thread or the caller's.
    package func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        let scheme = address.scheme
        TLSTransport.connectStream(address, options: options, reactor: reactor, library: library) { result in
            completion(result.map { Self.connection($0.stream, scheme: scheme) })
        }
    }

    /// Listens; each connection that completes the server handshake goes to `accept` on the reactor thread.
    package func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try listen(address, options: options, reactor: reactor, accept: accept) { _, _ in }
    }

    /// Listens; each connection that completes the server handshake goes to `accept`, and each that fails
    /// it or times out to `rejected` (its peer's address and the `protocolMismatch`/`timedOut` error), both
    /// on the reactor thread.
    package func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void,
        rejected: @escaping @Sendable (_ peer: String?, _ error: MultiSocketError) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        let scheme = address.scheme
        return try TLSTransport.listenStreams(address, options: options, reactor: reactor, library: library,
                                              rejected: rejected) { stream, _ in
            accept(Self.connection(stream, scheme: scheme))
        }
    }

    private static func connection(_ stream: TLSStream, scheme: String) -> TransportConnection {
        .stream(stream, localAddress: SystemSocket.describe(stream.descriptor, peer: false, scheme: scheme),
                remoteAddress: SystemSocket.describe(stream.descriptor, peer: true, scheme: scheme))
    }
}
