import CMultiSocketShims
import Glibc

/// The tcp and ipc transports: non-blocking stream sockets on the reactor.
enum StreamTransport {
    /// Connects to `address` without blocking; `completion` runs once, on the reactor thread or the
    /// caller's.
    static func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<any PipeLink, MultiSocketError>) -> Void
    ) {
        connectSocket(address, reactor: reactor) { result in
            completion(result.map { connected -> any PipeLink in
                makeLink(fd: connected.fd, family: connected.family, options: options, reactor: reactor)
            })
        }
    }

    /// Connects a new non-blocking stream socket to `address` (tcp, ipc or ws) without blocking;
    /// `completion` runs once, on the reactor thread or the caller's, with the connected descriptor.
    static func connectSocket(
        _ address: Address,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<(fd: Int32, family: Int32), MultiSocketError>) -> Void
    ) {
        let resolved: SystemSocket.Resolved
        let fd: Int32
        do {
            resolved = try SystemSocket.resolve(address, passive: false)
            fd = try SystemSocket.makeSocket(family: resolved.family)
        } catch {
            completion(.failure(error))
            return
        }
        let status = resolved.withSockaddr { connect(fd, $0, $1) }
        let error = status == 0 ? 0 : cms_errno()
        if error == 0 {
            completion(.success((fd, resolved.family)))
        } else if error == EINPROGRESS {
            let waiter = ConnectWaiter(fd: fd, reactor: reactor) { error in
                if error == 0 {
                    completion(.success((fd, resolved.family)))
                } else {
                    Glibc.close(fd)
                    completion(.failure(connectError(error, address)))
                }
            }
            if !reactor.register(fd, handler: waiter) {
                Glibc.close(fd)
                completion(.failure(SystemSocket.systemError("epoll_ctl")))
            }
        } else {
            Glibc.close(fd)
            completion(.failure(connectError(error, address)))
        }
    }

    /// Binds and listens on `address`; each accepted connection is handed to `accept` on the reactor
    /// thread.
    static func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (any PipeLink) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        try listenForSockets(address, options: options, reactor: reactor) { fd, family, pipeReactor in
            accept(makeLink(fd: fd, family: family, options: options, reactor: pipeReactor))
        }
    }

    /// Binds and listens on `address` (tcp or ipc form); each accepted descriptor, its address family and the
    /// reactor that is to serve it go to `connected` on the listener's reactor thread, which then owns the
    /// descriptor (the sp+ transports run their header exchange on it before making a link).
    static func listenForSockets(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        connected: @escaping @Sendable (_ fd: Int32, _ family: Int32, _ pipeReactor: Reactor) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        let resolved = try SystemSocket.resolve(address, passive: true)
        if resolved.family == AF_UNIX { try removeStaleSocketFile(address.path) }
        let fd = try openListeningSocket(address, resolved: resolved, backlog: options.acceptBacklog)
        var bound = address
        if bound.port != nil { bound.port = SystemSocket.boundPort(fd) }
        let family = resolved.family
        let listener = StreamListener(fd: fd, address: bound, family: family, reactor: reactor) { fd, pipeReactor in
            connected(fd, family, pipeReactor)
        }
        guard reactor.register(fd, handler: listener) else {
            Glibc.close(fd)
            throw SystemSocket.systemError("epoll_ctl")
        }
        return listener
    }

    /// A new non-blocking socket bound to `resolved` and listening with `backlog` (capped by the kernel);
    /// errors name `address`.
    static func openListeningSocket(
        _ address: Address,
        resolved: SystemSocket.Resolved,
        backlog: Int
    ) throws(MultiSocketError) -> Int32 {
        let fd = try SystemSocket.makeSocket(family: resolved.family)
        if resolved.family != AF_UNIX { SystemSocket.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1) }
        if resolved.withSockaddr({ bind(fd, $0, $1) }) != 0 {
            let error = cms_errno()
            Glibc.close(fd)
            switch error {
            case EADDRINUSE: throw MultiSocketError(.addressInUse, "\(address)")
            case EADDRNOTAVAIL, EACCES, ENOENT, ENOTDIR:
                throw MultiSocketError(.badAddress, "\(address): \(String(cString: strerror(error)))")
            default: throw SystemSocket.systemError("bind \(address)", error)
            }
        }
        guard Glibc.listen(fd, Int32(clamping: backlog)) == 0 else {
            let error = SystemSocket.systemError("listen \(address)")
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// The link over the connected socket `fd` (tcp or ipc as `family` says), which it now owns: a
    /// ``SocketStream`` framed by ``MultiSocketFraming``. Any thread; the link starts when its pipe does.
    static func makeLink(
        fd: Int32, family: Int32, options: PipeOptions, reactor: Reactor
    ) -> StreamLink<MultiSocketFraming> {
        SystemSocket.configureConnected(fd, family: family, options: options)
        let scheme = family == AF_UNIX ? "ipc" : "tcp"
        return StreamLink(
            stream: SocketStream(descriptor: fd), reactor: reactor, options: options, framing: MultiSocketFraming(options: options),
            localAddress: SystemSocket.describe(fd, peer: false, scheme: scheme),
            remoteAddress: SystemSocket.describe(fd, peer: true, scheme: scheme)
        )
    }

    /// A socket file left by a previous run is replaced; any other file at the path is an error.
    private static func removeStaleSocketFile(_ path: String) throws(MultiSocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw MultiSocketError(.badAddress, "ipc://\(path) exists and is not a socket")
        }
        if unlink(path) != 0 { throw MultiSocketError(.addressInUse, "ipc://\(path) cannot be replaced") }
    }

    static func connectError(_ error: Int32, _ address: Address) -> MultiSocketError {
        switch error {
        case ECONNREFUSED, ENOENT, EAGAIN, ENETUNREACH, EHOSTUNREACH, ECONNRESET:
            MultiSocketError(.connectionRefused, "\(address): \(String(cString: strerror(error)))")
        case ETIMEDOUT:
            MultiSocketError(.timedOut, "\(address): connect timed out")
        default:
            SystemSocket.systemError("connect \(address)", error)
        }
    }
}
