import CMultiSocketShims
import Glibc
import Synchronization

/// The ws transport (RFC 6455): a TCP connection upgraded by an HTTP/1.1 handshake, then one binary
/// WebSocket message per multisocket frame, carried by a ``StreamLink`` with ``WebSocketFraming``.
///
/// Listeners on one host and port share one listening socket: a process-wide table maps each bound
/// endpoint to its socket and its paths. The first `listen` on an endpoint binds it, later ones add paths
/// (the same path twice is `addressInUse`), and closing the last path closes the socket. A request for a
/// path nobody listens on gets HTTP 404.
///
/// Handshakes run on the reactor thread with non-blocking I/O and a deadline (``handshakeTimeout``), so a
/// silent peer holds nothing for long; a malformed request gets HTTP 400 and the connection is closed.
enum WebSocketTransport {
    /// How long an opening handshake may take, either side.
    static let handshakeTimeout: Duration = .seconds(10)
    /// How long a refused client has to read the error response before the connection is closed.
    static let refusalLinger: Duration = .seconds(2)

    // MARK: Dialing

    /// Connects to `address`, then performs the client handshake; `completion` runs once, on the reactor
    /// thread or the caller's.
    static func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<any PipeLink, MultiSocketError>) -> Void
    ) {
        guard let port = address.port, let host = address.host else {
            completion(.failure(MultiSocketError(.badAddress, "'\(address)' is not a ws address")))
            return
        }
        let path = address.path
        let shownHost = host == "*" ? "127.0.0.1" : host.contains(":") ? "[\(host)]" : host
        StreamTransport.connectSocket(address, reactor: reactor) { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let connected):
                let handshake = ClientHandshake(
                    fd: connected.fd, family: connected.family, address: address, host: "\(shownHost):\(port)",
                    path: path, options: options, reactor: reactor, completion: completion
                )
                reactor.execute { handshake.start() }
            }
        }
    }

    static func makeLink(
        fd: Int32, family: Int32, role: WebSocketFraming.Role, path: String, options: PipeOptions,
        reactor: Reactor, alreadyRead: [UInt8]
    ) -> StreamLink<WebSocketFraming> {
        SystemSocket.configureConnected(fd, family: family, options: options)
        let local = SystemSocket.describe(fd, peer: false, scheme: "ws")
        let remote = SystemSocket.describe(fd, peer: true, scheme: "ws")
        return StreamLink(
            fd: fd, reactor: reactor, options: options, framing: WebSocketFraming(role: role, options: options),
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
    }

    private struct Endpoint {
        let server: WebSocketServer
        var routes: [String: Route] = [:]
    }

    /// Bound endpoints by their address (`ws://ip:port`, no path).
    private static let endpoints = Locked<[String: Endpoint]>([:])

    /// Listens on `address`'s path, binding its host and port unless another ws listener in this process
    /// already has; each connection that completes the handshake for this path is handed to `accept` on
    /// the reactor thread.
    static func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (any PipeLink) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        guard let port = address.port else { throw MultiSocketError(.badAddress, "'\(address)' is not a ws address") }
        let path = address.path
        let resolved = try SystemSocket.resolve(address, passive: true)
        return try endpoints.withLock { table throws(MultiSocketError) -> WebSocketListener in
            // Port 0 always asks for a new port; any other port is shared with the listener already on it.
            let wantedKey = port == 0 ? nil : endpointKey(resolved)
            if let key = wantedKey, var endpoint = table[key] {
                guard endpoint.routes[path] == nil else { throw MultiSocketError(.addressInUse, "\(address)") }
                let listener = WebSocketListener(key: key, path: path, address: address)
                endpoint.routes[path] = Route(listener: listener, options: options, accept: accept)
                table[key] = endpoint
                return listener
            }
            let fd = try StreamTransport.openListeningSocket(address, resolved: resolved,
                                                             backlog: options.acceptBacklog)
            let key = wantedKey ?? SystemSocket.describe(fd, peer: false, scheme: "ws")
            let server = WebSocketServer(fd: fd, key: key, family: resolved.family, reactor: reactor)
            var bound = address
            bound.port = SystemSocket.boundPort(fd)
            let listener = WebSocketListener(key: key, path: path, address: bound)
            let route = Route(listener: listener, options: options, accept: accept)
            table[key] = Endpoint(server: server, routes: [path: route])
            guard reactor.register(fd, handler: server) else {
                table[key] = nil
                Glibc.close(fd)
                throw SystemSocket.systemError("epoll_ctl")
            }
            return listener
        }
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

    private static func endpointKey(_ resolved: SystemSocket.Resolved) -> String {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: resolved.storage.prefix($0.count)) }
        return SystemSocket.describe(storage, scheme: "ws")
    }

    // MARK: Handshake I/O

    /// How a non-blocking transfer ended.
    enum Transfer {
        /// Bytes moved (for a write: all of them).
        case progress
        /// The socket has nothing more now; wait for the reactor.
        case wouldBlock
        /// End of stream or an error.
        case closed
    }

    /// One read of up to 4 KiB, appended to `buffer`.
    static func readSome(_ fd: Int32, into buffer: inout [UInt8]) -> Transfer {
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 16) { chunk -> Transfer in
            while true {
                let count = Glibc.read(fd, chunk.baseAddress!, chunk.count)
                if count > 0 {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
                    return .progress
                }
                if count == 0 { return .closed }
                let error = cms_errno()
                if error == EINTR { continue }
                return error == EAGAIN || error == EWOULDBLOCK ? .wouldBlock : .closed
            }
        }
    }

    /// Writes `bytes` from `written` on, as far as the socket takes them.
    static func writeSome(_ fd: Int32, _ bytes: [UInt8], written: inout Int) -> Transfer {
        while written < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                written += sent
                continue
            }
            let error = cms_errno()
            if error == EINTR { continue }
            return error == EAGAIN || error == EWOULDBLOCK ? .wouldBlock : .closed
        }
        return .progress
    }
}

/// One path's listener, as the connector sees it; the socket belongs to the endpoint's ``WebSocketServer``.
final class WebSocketListener: TransportListener {
    let address: Address
    let key: String
    let path: String
    private let closed = Atomic(false)

    init(key: String, path: String, address: Address) {
        self.key = key
        self.path = path
        self.address = address
    }

    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let server = WebSocketTransport.remove(self) { await server.close() }
    }
}

/// The listening socket of one ws endpoint, shared by its paths: accepts on the reactor thread and runs
/// each connection's handshake.
final class WebSocketServer: ReactorHandler, @unchecked Sendable {
    let key: String
    let family: Int32
    let reactor: Reactor
    private let fd: Int32
    private let closed = Atomic(false)
    /// Handshakes under way. Touched only on the reactor thread.
    private var handshakes: [ObjectIdentifier: ServerHandshake] = [:]
    /// Retries accepting after the process ran out of descriptors. Touched only on the reactor thread.
    private var retry = AcceptRetry()

    init(fd: Int32, key: String, family: Int32, reactor: Reactor) {
        self.fd = fd
        self.key = key
        self.family = family
        self.reactor = reactor
    }

    func reactorEvent(_ events: UInt32) {
        guard events & cms_epollin() != 0 else { return }
        acceptPending()
    }

    /// Accepts what waits; after `EMFILE` and the like, again on a timer (a closed server's timer does
    /// nothing: its descriptor may already belong to something else).
    private func acceptPending() {
        retry.acceptPending(fd, on: reactor, while: { !closed.load(ordering: .acquiring) }) { connection in
            let handshake = ServerHandshake(fd: connection, server: self)
            handshakes[ObjectIdentifier(handshake)] = handshake
            handshake.start()
        } retry: { [weak self] in
            guard let self, !closed.load(ordering: .acquiring) else { return }
            acceptPending()
        }
    }

    /// A handshake finished, one way or the other. Reactor thread.
    func ended(_ handshake: ServerHandshake) {
        handshakes[ObjectIdentifier(handshake)] = nil
    }

    /// Closes the socket and every connection still in its handshake; the port is free when this returns.
    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { continuation in
            reactor.execute { [self] in
                retry.cancel(on: reactor)
                reactor.deregister(fd, handler: self)
                Glibc.close(fd)
                for handshake in Array(handshakes.values) { handshake.abort() }
                continuation.resume()
            }
        }
    }
}

/// The server side of one opening handshake: read the request, answer 101 and hand the connection to the
/// path's listener, or answer 400/404 and close. All state is touched on the reactor thread only.
final class ServerHandshake: ReactorHandler, @unchecked Sendable {
    private enum Phase {
        case reading
        /// Writing the response; then handing off to `route`, or lingering when refused (`nil`).
        case responding(WebSocketTransport.Route?)
        /// Refused: reading and discarding until the client closes or the linger time passes.
        case draining
        case done
    }

    private let fd: Int32
    private let server: WebSocketServer
    private var phase = Phase.reading
    private var received: [UInt8] = []
    private var headerEnd = 0
    private var path = ""
    private var response: [UInt8] = []
    private var written = 0
    private var registered = false
    private var timer: UInt64?

    init(fd: Int32, server: WebSocketServer) {
        self.fd = fd
        self.server = server
    }

    func start() {
        guard server.reactor.register(fd, handler: self) else {
            end()
            return
        }
        registered = true
        timer = server.reactor.schedule(after: WebSocketTransport.handshakeTimeout) { [self] in end() }
        advance()
    }

    func reactorEvent(_ events: UInt32) {
        advance()
    }

    /// Closes the connection; the server is closing.
    func abort() {
        end()
    }

    private func advance() {
        while true {
            switch phase {
            case .done:
                return
            case .reading:
                let searched = received.count
                switch WebSocketTransport.readSome(fd, into: &received) {
                case .wouldBlock: return
                case .closed: return end()
                case .progress:
                    if let end = WebSocketHandshake.headerEnd(in: received, searchedBefore: searched),
                       end <= WebSocketHandshake.maxHeaderSize {
                        decide(headerEnd: end)
                    } else if received.count > WebSocketHandshake.maxHeaderSize {
                        refuse(WebSocketHandshake.Refusal(status: 400, reason: "request header longer than 8 KiB"))
                    }
                }
            case .responding(let route):
                switch WebSocketTransport.writeSome(fd, response, written: &written) {
                case .wouldBlock: return
                case .closed: return end()
                case .progress:
                    if let route { return handOff(to: route) }
                    // Let the client read the refusal: no more from us, and close once it has closed.
                    shutdown(fd, Int32(SHUT_WR))
                    phase = .draining
                    if let timer { server.reactor.cancelTimer(timer) }
                    timer = server.reactor.schedule(after: WebSocketTransport.refusalLinger) { [self] in end() }
                }
            case .draining:
                received.removeAll(keepingCapacity: true)
                switch WebSocketTransport.readSome(fd, into: &received) {
                case .wouldBlock: return
                case .closed: return end()
                case .progress: continue
                }
            }
        }
    }

    private func decide(headerEnd: Int) {
        switch WebSocketHandshake.parseRequest(received[..<headerEnd]) {
        case .failure(let refusal):
            refuse(refusal)
        case .success(let request):
            guard let route = WebSocketTransport.route(server.key, request.path) else {
                return refuse(WebSocketHandshake.Refusal(status: 404, reason: "no listener at \(request.path)"))
            }
            // A framed listener needs the client to speak multisocket.binary; a raw one speaks plain content and
            // selects no subprotocol.
            let subprotocol = WebSocketHandshake.subprotocol
            if !route.options.raw && !request.protocols.contains(subprotocol) {
                return refuse(WebSocketHandshake.Refusal(status: 400, reason: "subprotocol \(subprotocol) not offered"))
            }
            self.headerEnd = headerEnd
            path = request.path
            response = WebSocketHandshake.response(
                accepting: request, subprotocol: route.options.raw ? nil : subprotocol)
            phase = .responding(route)
        }
    }

    private func refuse(_ refusal: WebSocketHandshake.Refusal) {
        response = WebSocketHandshake.response(refusing: refusal)
        phase = .responding(nil)
    }

    private func handOff(to route: WebSocketTransport.Route) {
        // The path may have stopped listening while the response was written (its port lives on for others).
        guard WebSocketTransport.route(server.key, path)?.listener === route.listener else { return end() }
        phase = .done
        if let timer { server.reactor.cancelTimer(timer) }
        server.reactor.deregister(fd, handler: self)
        server.ended(self)
        let link = WebSocketTransport.makeLink(
            fd: fd, family: server.family, role: .server, path: path, options: route.options, reactor: server.reactor,
            alreadyRead: Array(received[headerEnd...])
        )
        route.accept(link)
    }

    private func end() {
        if case .done = phase { return }
        phase = .done
        if let timer { server.reactor.cancelTimer(timer) }
        if registered { server.reactor.deregister(fd, handler: self) }
        Glibc.close(fd)
        server.ended(self)
    }
}

/// The client side of one opening handshake: send the request, check the response, and complete the dial
/// with a link or a typed error. All state is touched on the reactor thread only.
private final class ClientHandshake: ReactorHandler, @unchecked Sendable {
    private let fd: Int32
    private let family: Int32
    private let address: Address
    private let path: String
    private let options: PipeOptions
    private let reactor: Reactor
    private let key = WebSocketHandshake.makeKey()
    private let subprotocol: String?
    private let request: [UInt8]
    private var written = 0
    private var received: [UInt8] = []
    private var registered = false
    private var timer: UInt64?
    private var completion: (@Sendable (Result<any PipeLink, MultiSocketError>) -> Void)?

    init(fd: Int32, family: Int32, address: Address, host: String, path: String, options: PipeOptions,
         reactor: Reactor, completion: @escaping @Sendable (Result<any PipeLink, MultiSocketError>) -> Void) {
        self.fd = fd
        self.family = family
        self.address = address
        self.path = path
        self.options = options
        self.reactor = reactor
        self.completion = completion
        // A raw pipe carries plain content, not multisocket frames: it offers no subprotocol.
        subprotocol = options.raw ? nil : WebSocketHandshake.subprotocol
        request = WebSocketHandshake.request(host: host, path: path, key: key, subprotocol: subprotocol)
    }

    func start() {
        guard reactor.register(fd, handler: self) else { return fail(SystemSocket.systemError("epoll_ctl")) }
        registered = true
        timer = reactor.schedule(after: WebSocketTransport.handshakeTimeout) { [self] in
            fail(MultiSocketError(.timedOut, "\(address): no WebSocket handshake response in time"))
        }
        advance()
    }

    func reactorEvent(_ events: UInt32) {
        advance()
    }

    private func advance() {
        guard completion != nil else { return }
        switch WebSocketTransport.writeSome(fd, request, written: &written) {
        case .wouldBlock: return
        case .closed: return fail(lost())
        case .progress: break
        }
        while true {
            let searched = received.count
            switch WebSocketTransport.readSome(fd, into: &received) {
            case .wouldBlock: return
            case .closed: return fail(lost())
            case .progress:
                if let end = WebSocketHandshake.headerEnd(in: received, searchedBefore: searched),
                   end <= WebSocketHandshake.maxHeaderSize {
                    return finish(headerEnd: end)
                }
                if received.count > WebSocketHandshake.maxHeaderSize {
                    return fail(MultiSocketError(.protocolMismatch, "\(address): handshake response header over 8 KiB"))
                }
            }
        }
    }

    private func lost() -> MultiSocketError {
        MultiSocketError(.connectionRefused, "\(address): connection closed during the WebSocket handshake")
    }

    private func finish(headerEnd: Int) {
        if let error = WebSocketHandshake.checkResponse(
            received[..<headerEnd], key: key, subprotocol: subprotocol, address: address
        ) {
            return fail(error)
        }
        guard let completion = takeCompletion() else { return }
        reactor.deregister(fd, handler: self)
        let link = WebSocketTransport.makeLink(
            fd: fd, family: family, role: .client, path: path, options: options, reactor: reactor,
            alreadyRead: Array(received[headerEnd...])
        )
        completion(.success(link))
    }

    private func fail(_ error: MultiSocketError) {
        guard let completion = takeCompletion() else { return }
        if registered { reactor.deregister(fd, handler: self) }
        Glibc.close(fd)
        completion(.failure(error))
    }

    private func takeCompletion() -> (@Sendable (Result<any PipeLink, MultiSocketError>) -> Void)? {
        guard let completion else { return nil }
        self.completion = nil
        if let timer { reactor.cancelTimer(timer) }
        return completion
    }
}
