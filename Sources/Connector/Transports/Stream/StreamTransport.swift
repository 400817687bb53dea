import CMultiSocketShims
import Glibc
import Synchronization

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
        let resolved = try SystemSocket.resolve(address, passive: true)
        if resolved.family == AF_UNIX { try removeStaleSocketFile(address.path) }
        let fd = try openListeningSocket(address, resolved: resolved, backlog: options.acceptBacklog)
        var bound = address
        if bound.port != nil { bound.port = SystemSocket.boundPort(fd) }
        let listener = StreamListener(fd: fd, address: bound, family: resolved.family, options: options,
                                      reactor: reactor, accept: accept)
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

    static func makeLink(
        fd: Int32, family: Int32, options: PipeOptions, reactor: Reactor
    ) -> StreamLink<MultiSocketFraming> {
        SystemSocket.configureConnected(fd, family: family, options: options)
        let scheme = family == AF_UNIX ? "ipc" : "tcp"
        return StreamLink(
            fd: fd, reactor: reactor, options: options, framing: MultiSocketFraming(options: options),
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

/// Waits on the reactor for a non-blocking connect to finish.
private final class ConnectWaiter: ReactorHandler, @unchecked Sendable {
    private let fd: Int32
    private let reactor: Reactor
    private var completion: ((Int32) -> Void)?

    init(fd: Int32, reactor: Reactor, completion: @escaping @Sendable (Int32) -> Void) {
        self.fd = fd
        self.reactor = reactor
        self.completion = completion
    }

    func reactorEvent(_ events: UInt32) {
        guard let completion else { return }
        self.completion = nil
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        reactor.deregister(fd, handler: self)
        completion(error)
    }
}

/// A listening stream socket; accepts on the reactor thread until the kernel has no more connections.
private final class StreamListener: TransportListener, ReactorHandler, @unchecked Sendable {
    let address: Address
    private let fd: Int32
    private let family: Int32
    private let options: PipeOptions
    private let reactor: Reactor
    private let accept: @Sendable (any PipeLink) -> Void
    private let closed = Atomic(false)
    /// The socket file this listener created (ipc only); removed on close only if it is still that file.
    private let socketFileInode: UInt?
    /// Retries accepting after the process ran out of descriptors. Touched only on the reactor thread.
    private var retry = AcceptRetry()

    init(fd: Int32, address: Address, family: Int32, options: PipeOptions, reactor: Reactor,
         accept: @escaping @Sendable (any PipeLink) -> Void) {
        self.fd = fd
        self.address = address
        socketFileInode = family == AF_UNIX ? Self.inode(of: address.path) : nil
        self.family = family
        self.options = options
        self.reactor = reactor
        self.accept = accept
    }

    func reactorEvent(_ events: UInt32) {
        guard events & cms_epollin() != 0 else { return }
        acceptPending()
    }

    /// Accepts what waits; after `EMFILE` and the like, again on a timer (a closed listener's timer does
    /// nothing: its descriptor may already belong to something else).
    private func acceptPending() {
        retry.acceptPending(fd, on: reactor, while: { !closed.load(ordering: .acquiring) }) { connection in
            accept(StreamTransport.makeLink(fd: connection, family: family, options: options, reactor: reactor))
        } retry: { [weak self] in
            guard let self, !closed.load(ordering: .acquiring) else { return }
            acceptPending()
        }
    }

    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { continuation in
            reactor.execute { [self] in
                retry.cancel(on: reactor)
                reactor.deregister(fd, handler: self)
                Glibc.close(fd)
                if let inode = socketFileInode, Self.inode(of: address.path) == inode {
                    unlink(address.path)
                }
                continuation.resume()
            }
        }
    }

    /// The inode of the file at `path`, if any.
    static func inode(of path: String) -> UInt? {
        var info = stat()
        return lstat(path, &info) == 0 ? UInt(info.st_ino) : nil
    }
}
