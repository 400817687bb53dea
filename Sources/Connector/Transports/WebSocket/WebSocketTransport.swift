import Glibc

/// The ws transport (RFC 6455): a TCP connection upgraded by an HTTP/1.1 handshake, then one binary
/// WebSocket message per multisocket frame, carried by a ``StreamLink`` with ``WebSocketFraming``.
///
/// Listeners on one host and port share one listening socket: a process-wide table maps each bound
/// endpoint to its socket and its paths. The first `listen` on an endpoint binds it, later ones add paths
/// (the same path twice is `addressInUse`), and closing the last path closes the socket. A request for a
/// path nobody listens on gets HTTP 404.
///
/// Handshakes are preambles (``WebSocketClientPreamble``, ``WebSocketServerPreamble``) run by a
/// ``PreambleDriver`` on the reactor thread with non-blocking I/O and a deadline (``handshakeTimeout``), so a
/// silent peer holds nothing for long; a malformed request gets HTTP 400 and the connection is closed.
enum WebSocketTransport {
    /// How long an opening handshake may take, either side.
    static let handshakeTimeout: Duration = .seconds(10)
    /// How long a refused client has to read the error response before the connection is closed.
    static let refusalLinger: Duration = .seconds(2)

    // MARK: Dialing

    /// Connects to `address` — over TLS first when `tls` gives OpenSSL's loader (wss) —, then performs the
    /// client handshake; `completion` runs once, on the reactor thread or the caller's.
    static func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        tls: TLSTransport.Library? = nil,
        completion: @escaping @Sendable (Result<any PipeLink, MultiSocketError>) -> Void
    ) {
        guard let port = address.port, let host = address.host else {
            completion(.failure(MultiSocketError(.badAddress, "'\(address)' is not a \(address.scheme) address")))
            return
        }
        let path = address.path
        let shownHost = host == "*" ? "127.0.0.1" : host.contains(":") ? "[\(host)]" : host
        let upgrade: @Sendable (any ByteStream, Int32) -> Void = { stream, family in
            let preamble = WebSocketClientPreamble(
                address: address, host: "\(shownHost):\(port)", path: path, options: options)
            let driver = PreambleDriver(preamble: preamble, stream: stream, reactor: reactor) { result in
                completion(result.map { done -> any PipeLink in
                    makeLink(stream: stream, family: family, scheme: address.scheme, role: .client, path: path,
                             options: options, reactor: reactor, alreadyRead: done.leftover)
                })
            }
            reactor.execute { driver.start() }
        }
        if let tls {
            TLSTransport.connectStream(address, options: options, reactor: reactor, library: tls) { result in
                switch result {
                case .failure(let error): completion(.failure(error))
                case .success(let connected): upgrade(connected.stream, connected.family)
                }
            }
            return
        }
        StreamTransport.connectSocket(address, reactor: reactor) { result in
            switch result {
            case .failure(let error): completion(.failure(error))
            case .success(let connected): upgrade(SocketStream(descriptor: connected.fd), connected.family)
            }
        }
    }

    /// The link over `stream` once its handshake completed, as `role`, for `path`, with addresses in
    /// `scheme` (ws or wss); `alreadyRead` holds the bytes that arrived after the handshake (the first
    /// frames). Reactor thread.
    static func makeLink(
        stream: any ByteStream, family: Int32, scheme: String, role: WebSocketFraming.Role, path: String,
        options: PipeOptions, reactor: Reactor, alreadyRead: [UInt8]
    ) -> StreamLink<WebSocketFraming> {
        let fd = stream.descriptor
        SystemSocket.configureConnected(fd, family: family, options: options)
        let local = SystemSocket.describe(fd, peer: false, scheme: scheme)
        let remote = SystemSocket.describe(fd, peer: true, scheme: scheme)
        return StreamLink(
            stream: stream, reactor: reactor, options: options, framing: WebSocketFraming(role: role, options: options),
            localAddress: role == .server ? local + path : local,
            remoteAddress: role == .client ? remote + path : remote,
            alreadyRead: alreadyRead
        )
    }

    // MARK: Listening

    /// One path's listener on a shared endpoint.
    struct Route: Sendable {
        let listener: WebSocketListener
        let options: PipeOptions
        let accept: @Sendable (any PipeLink) -> Void
        /// Told of each wss connection whose TLS handshake failed (its peer and the error).
        let rejected: @Sendable (String?, MultiSocketError) -> Void
    }

    private struct Endpoint {
        let server: WebSocketServer
        var routes: [String: Route] = [:]
    }

    /// Bound endpoints by their address (`ws://ip:port`, no path).
    private static let endpoints = Locked<[String: Endpoint]>([:])

    /// Listens on `address`'s path, binding its host and port unless another listener of the same scheme
    /// in this process already has; each connection that completes the handshake for this path is handed to
    /// `accept` on the reactor thread. With `tls` (wss), a new endpoint runs the TLS handshake first, with the
    /// options' ``EndpointOptions/tls`` (a shared port keeps the configuration of its first listener); a
    /// connection failing it is reported to `rejected` on the reactor thread — of every path listening on
    /// that port, since the path it wanted is not known yet.
    static func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        tls: TLSTransport.Library? = nil,
        rejected: @escaping @Sendable (String?, MultiSocketError) -> Void = { _, _ in },
        accept: @escaping @Sendable (any PipeLink) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        guard let port = address.port else {
            throw MultiSocketError(.badAddress, "'\(address)' is not a \(address.scheme) address")
        }
        let path = address.path
        let resolved = try SystemSocket.resolve(address, passive: true)
        let openSSL = try tls.map { library throws(MultiSocketError) in try library().get() }
        let scheme = address.scheme
        return try endpoints.withLock { table throws(MultiSocketError) -> WebSocketListener in
            // Port 0 always asks for a new port; any other port is shared with the listener already on it.
            let wantedKey = port == 0 ? nil : endpointKey(resolved, scheme: scheme)
            if let key = wantedKey, var endpoint = table[key] {
                guard endpoint.routes[path] == nil else { throw MultiSocketError(.addressInUse, "\(address)") }
                let listener = WebSocketListener(key: key, path: path, address: address)
                endpoint.routes[path] = Route(listener: listener, options: options, accept: accept, rejected: rejected)
                table[key] = endpoint
                return listener
            }
            let fd = try StreamTransport.openListeningSocket(address, resolved: resolved,
                                                             backlog: options.acceptBacklog)
            // wss: the TLS context is built after binding, so a port just released is taken back at once.
            let context: TLSContext?
            do throws(MultiSocketError) {
                context = try openSSL.map { library throws(MultiSocketError) in
                    try TLSContext(options.tls ?? TLSConfiguration(), side: .server, library: library)
                }
            } catch {
                Glibc.close(fd)
                throw error
            }
            let key = wantedKey ?? SystemSocket.describe(fd, peer: false, scheme: scheme)
            let server = WebSocketServer(fd: fd, key: key, scheme: scheme, family: resolved.family, reactor: reactor,
                                         tls: context)
            var bound = address
            bound.port = SystemSocket.boundPort(fd)
            let listener = WebSocketListener(key: key, path: path, address: bound)
            let route = Route(listener: listener, options: options, accept: accept, rejected: rejected)
            table[key] = Endpoint(server: server, routes: [path: route])
            guard reactor.register(fd, handler: server) else {
                table[key] = nil
                Glibc.close(fd)
                throw SystemSocket.systemError("epoll_ctl")
            }
            return listener
        }
    }

    /// Every path's listener on the endpoint `key` (none once it closed).
    static func routes(_ key: String) -> [Route] {
        endpoints.withLock { $0[key].map { Array($0.routes.values) } ?? [] }
    }

    /// The listener for `path` on the endpoint `key`, if any.
    static func route(_ key: String, _ path: String) -> Route? {
        endpoints.withLock { $0[key]?.routes[path] }
    }

    /// Removes `listener`'s path; returns its endpoint's server when that was the last path (close it).
    static func remove(_ listener: WebSocketListener) -> WebSocketServer? {
        endpoints.withLock { table -> WebSocketServer? in
            guard var endpoint = table[listener.key], endpoint.routes[listener.path]?.listener === listener else {
                return nil
            }
            endpoint.routes[listener.path] = nil
            if endpoint.routes.isEmpty {
                table[listener.key] = nil
                return endpoint.server
            }
            table[listener.key] = endpoint
            return nil
        }
    }

    private static func endpointKey(_ resolved: SystemSocket.Resolved, scheme: String) -> String {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: resolved.storage.prefix($0.count)) }
        return SystemSocket.describe(storage, scheme: scheme)
    }
}
