import Glibc

/// Connected, handshaken TLS streams over TCP, separate from what is framed on them: the tls+tcp transport
/// puts multisocket frames (or raw bytes) on them, wss the WebSocket upgrade and framing, and a later
/// `sp+tls+tcp` would put the SP header exchange there.
///
/// The endpoint's ``EndpointOptions/tls`` configures both sides (a dialer without one verifies the server
/// against the system's trust store; a listener without one has no certificate and fails). OpenSSL is
/// loaded at the first TLS dial or listen; without it, the dial completes with and the listen throws a
/// `notSupported` error that names what to install.
package enum TLSTransport {
    /// What loads OpenSSL: the process's copy, or another (a test naming a missing library).
    package typealias Library = @Sendable () -> Result<OpenSSL, MultiSocketError>

    /// The process's OpenSSL (``OpenSSL/shared``).
    package static let system: Library = { OpenSSL.shared }

    /// Connects to `address`, then runs the client handshake on `reactor` (with the configuration's
    /// deadline) before `completion` gets the stream, which it then owns, and the socket's address family.
    /// Returns at once; `completion` runs once, on the caller's thread (an error known at once) or the
    /// reactor's.
    ///
    /// Errors: `notSupported` (no OpenSSL), `badAddress` (an unreadable certificate or key), those of a TCP
    /// connect (`connectionRefused`, `timedOut`, …), and for the handshake `protocolMismatch` with the
    /// reason (a certificate that failed verification says `certificate verify failed: …`) or `timedOut`.
    package static func connectStream(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        library: Library = system,
        completion: @escaping @Sendable (Result<(stream: TLSStream, family: Int32), MultiSocketError>) -> Void
    ) {
        let context: TLSContext
        do {
            context = try makeContext(options, side: .client, library: library)
        } catch {
            return completion(.failure(error))
        }
        StreamTransport.connectSocket(address, reactor: reactor) { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let connected):
                SystemSocket.configureConnected(connected.fd, family: connected.family, options: options)
                let stream: TLSStream
                do throws(MultiSocketError) {
                    stream = try context.makeStream(descriptor: connected.fd, host: address.host)
                } catch {
                    Glibc.close(connected.fd)
                    return completion(.failure(error))
                }
                let handshake = TLSHandshake(
                    stream: stream, reactor: reactor, timeout: context.configuration.handshakeTimeout,
                    peer: "\(address.endpoint)"
                ) { result in
                    completion(result.map { ($0, connected.family) })
                }
                reactor.execute { handshake.start() }
            }
        }
    }

    /// Binds and listens on `address` (a TCP host and port); each connection that completes the server
    /// handshake goes to `accept` on the reactor thread, with its address family, and the peer's address
    /// and the error of each that fails it (or times out) to `rejected`, there too. Caller's thread.
    ///
    /// - Throws: `notSupported` (no OpenSSL), `badAddress` (no certificate, an unreadable one, or an
    ///   address that cannot be bound), `addressInUse`, `systemError`.
    package static func listenStreams(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        library: Library = system,
        rejected: @escaping @Sendable (String?, MultiSocketError) -> Void = { _, _ in },
        accept: @escaping @Sendable (TLSStream, Int32) -> Void
    ) throws(MultiSocketError) -> TLSListener {
        let openSSL = try library().get()
        let resolved = try SystemSocket.resolve(address, passive: true)
        let fd = try StreamTransport.openListeningSocket(address, resolved: resolved, backlog: options.acceptBacklog)
        // Built after binding, so a port just released is taken back at once (its files take a while).
        let context: TLSContext
        do throws(MultiSocketError) {
            context = try TLSContext(options.tls ?? TLSConfiguration(), side: .server, library: openSSL)
        } catch {
            Glibc.close(fd)
            throw error
        }
        var bound = address
        bound.port = SystemSocket.boundPort(fd)
        let listener = TLSListener(fd: fd, address: bound, family: resolved.family, options: options,
                                   context: context, reactor: reactor, rejected: rejected, accept: accept)
        guard reactor.register(fd, handler: listener) else {
            Glibc.close(fd)
            throw SystemSocket.systemError("epoll_ctl")
        }
        return listener
    }

    /// The context for one endpoint's `side`, from its options' TLS configuration (the default when none).
    static func makeContext(
        _ options: PipeOptions, side: TLSContext.Side, library: Library
    ) throws(MultiSocketError) -> TLSContext {
        let openSSL = try library().get()
        return try TLSContext(options.tls ?? TLSConfiguration(), side: side, library: openSSL)
    }
}
