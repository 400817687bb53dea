import Glibc

/// The Scalability Protocols wire over tcp and ipc: `sp+tcp://host:port` and `sp+ipc:///path` reach NNG,
/// nanomsg, mangos and pynng peers (sp-tcp-mapping, sp-ipc-mapping).
///
/// Each connection exchanges SP headers announcing the endpoint's ``EndpointOptions/spProtocol`` (a role's
/// socket fills it from its ``ProtocolIdentity``), then carries ``SPFraming``. A dial to a peer of a protocol
/// that does not fit fails with `protocolMismatch`; an accepted peer that does not fit is refused once its
/// pipe exists. Raw pipes do not exist on this wire.
struct SPTransport: Transport {
    /// `sp+tcp://host:port`.
    static let tcp = SPTransport(mapping: .tcp)
    /// `sp+ipc:///path`.
    static let ipc = SPTransport(mapping: .ipc)

    private let mapping: SPFraming.Mapping

    private init(mapping: SPFraming.Mapping) {
        self.mapping = mapping
    }

    var schemes: [String] { [scheme] }

    private var scheme: String { mapping == .tcp ? "sp+tcp" : "sp+ipc" }

    var addressForm: AddressForm { mapping == .tcp ? .network(defaultPath: nil) : .local }

    /// Rejects raw pipes, a protocol number the SP table does not know, and an ipc path over 107 bytes.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        try Self.validate(options)
        if mapping == .ipc, address.path.utf8.count >= 108 {
            throw MultiSocketError(.badAddress, "ipc path longer than 107 bytes")
        }
    }

    /// Connects, then exchanges SP headers without blocking; `completion` runs once, on the reactor thread
    /// or the caller's.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        let local: UInt16
        do {
            local = try Self.protocolNumber(options)
        } catch {
            return completion(.failure(error))
        }
        let mapping = self.mapping
        StreamTransport.connectSocket(socketAddress(address), reactor: reactor) { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let connected):
                let (stream, localAddress, remoteAddress) = Self.adopt(connected.fd, family: connected.family,
                                                                       scheme: address.scheme, options: options)
                let driver = SPStreamLink.driver(
                    stream: stream, mapping: mapping, local: local, checksPeer: true, endpoint: "\(address)",
                    options: options, reactor: reactor, localAddress: localAddress, remoteAddress: remoteAddress
                ) { completion($0.map(TransportConnection.link)) }
                reactor.execute { driver.start() }
            }
        }
    }

    /// Binds and listens; each accepted connection exchanges SP headers on its pipe's reactor thread, and
    /// those that complete go to `accept` there. A peer that sends no well-formed header within
    /// ``SPStreamLink/headerTimeout`` is closed, and so is every exchange under way when the listener closes.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        let local = try Self.protocolNumber(options)
        let mapping = self.mapping
        let scheme = address.scheme
        let handshakes = SPHandshakes()
        let inner = try StreamTransport.listenForSockets(socketAddress(address), options: options, reactor: reactor) {
            fd, family, pipeReactor in
            let (stream, localAddress, remoteAddress) = Self.adopt(fd, family: family, scheme: scheme, options: options)
            let number = handshakes.reserve()
            let driver = SPStreamLink.driver(
                stream: stream, mapping: mapping, local: local, checksPeer: false, endpoint: remoteAddress,
                options: options, reactor: pipeReactor, localAddress: localAddress, remoteAddress: remoteAddress
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

    /// Rejects what no `sp+` endpoint can have: raw pipes, a protocol number the SP table does not know.
    /// - Throws: ``MultiSocketError`` `badAddress`.
    static func validate(_ options: EndpointOptions) throws(MultiSocketError) {
        if options.raw { throw MultiSocketError(.badAddress, "the SP wire carries no raw pipes") }
        if let number = options.spProtocol, !SPProtocol.isKnown(number) {
            let hex = String(number, radix: 16)
            throw MultiSocketError(.badAddress, "SP protocol 0x\(hex) is not one the SP wire knows")
        }
    }

    /// The protocol number the endpoint announces.
    /// - Throws: ``MultiSocketError`` `badAddress` when the endpoint names none.
    static func protocolNumber(_ options: PipeOptions) throws(MultiSocketError) -> UInt16 {
        guard let number = options.spProtocol else {
            throw MultiSocketError(.badAddress, "an sp+ endpoint needs the SP protocol it speaks: use a role, "
                + "SocketOptions.identity, or the spProtocol option")
        }
        return number
    }

    /// `address` in the form the socket layer resolves (`tcp://…`, `ipc://…`).
    private func socketAddress(_ address: Address) -> Address {
        var inner = address
        inner.scheme = mapping == .tcp ? "tcp" : "ipc"
        return inner
    }

    /// A stream over the connected socket `fd`, configured as `options` say, and its two addresses as text.
    private static func adopt(_ fd: Int32, family: Int32, scheme: String,
                              options: PipeOptions) -> (SocketStream, String, String) {
        SystemSocket.configureConnected(fd, family: family, options: options)
        return (SocketStream(descriptor: fd), SystemSocket.describe(fd, peer: false, scheme: scheme),
                SystemSocket.describe(fd, peer: true, scheme: scheme))
    }
}
