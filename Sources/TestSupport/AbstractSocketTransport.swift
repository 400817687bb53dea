import Glibc
import MultiSocket
import Synchronization

/// `abstract://name`: Unix-domain stream sockets in Linux's abstract namespace (no file; the name vanishes
/// with the last socket), written the way an application outside the library writes a transport — on the
/// public ``Transport`` contract, descriptors and the reactor alone — and run through the transport
/// conformance suite like the built-in transports.
struct AbstractSocketTransport: Transport {
    /// The scheme it serves.
    static let scheme = "abstract"
    private static let registration: Void = Transports.register(AbstractSocketTransport())

    /// Registers the transport, once per process; later calls do nothing. Any thread.
    static func registerOnce() {
        registration
    }

    /// Creates the transport.
    init() {}

    /// `abstract`.
    var schemes: [String] { [Self.scheme] }
    /// `abstract://name`: the name is the whole path.
    var addressForm: AddressForm { .local }

    /// Rejects a name longer than 107 bytes (the abstract name follows a NUL in `sun_path`).
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        guard address.path.utf8.count <= 107 else { throw MultiSocketError(.badAddress, "name longer than 107 bytes") }
    }

    /// Connects at once (a Unix-domain connect does not wait) and calls `completion` on the caller's thread.
    /// Fails with `connectionRefused` when nobody listens on the name or its queue is full.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return completion(.failure(MultiSocketError(.systemError, "socket: errno \(errno)"))) }
        let status = Self.withAddress(of: address.path) { connect(fd, $0, $1) }
        guard status == 0 else {
            let error = errno
            close(fd)
            let refused = error == ECONNREFUSED || error == EAGAIN
            let code: MultiSocketError.Code = refused ? .connectionRefused : .systemError
            return completion(.failure(MultiSocketError(code, "\(address.endpoint): errno \(error)")))
        }
        completion(.success(.socket(descriptor: fd, localAddress: "\(Self.scheme)://",
                                    remoteAddress: "\(address.endpoint)")))
    }

    /// Binds the name and listens with ``EndpointOptions/acceptBacklog``; connections are accepted on
    /// `reactor`'s thread and handed to `accept` there.
    /// - Throws: `addressInUse` when the name is taken, `systemError` for other failures.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MultiSocketError(.systemError, "socket: errno \(errno)") }
        guard Self.withAddress(of: address.path, { bind(fd, $0, $1) }) == 0,
              Glibc.listen(fd, Int32(clamping: options.acceptBacklog)) == 0 else {
            let error = errno
            close(fd)
            throw MultiSocketError(error == EADDRINUSE ? .addressInUse : .systemError, "\(address): errno \(error)")
        }
        let listener = AbstractSocketListener(fd: fd, address: address, reactor: reactor, accept: accept)
        guard reactor.register(fd, handler: listener) else {
            close(fd)
            throw MultiSocketError(.systemError, "\(address): cannot watch the socket")
        }
        return listener
    }

    /// Calls `body` with the `sockaddr_un` of the abstract name `name` and its length.
    private static func withAddress(of name: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var unix = sockaddr_un()
        unix.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8.prefix(107))
        withUnsafeMutableBytes(of: &unix.sun_path) { path in
            path[0] = 0
            path.baseAddress!.advanced(by: 1).copyMemory(from: bytes, byteCount: bytes.count)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        return withUnsafePointer(to: &unix) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// A listening abstract socket: accepts on the reactor thread until the kernel has no more connections.
private final class AbstractSocketListener: TransportListener, ReactorHandler {
    let address: Address
    private let fd: Int32
    private let reactor: Reactor
    private let accept: @Sendable (TransportConnection) -> Void
    private let closed = Atomic(false)

    init(fd: Int32, address: Address, reactor: Reactor, accept: @escaping @Sendable (TransportConnection) -> Void) {
        self.fd = fd
        self.address = address
        self.reactor = reactor
        self.accept = accept
    }

    /// Readiness on the reactor thread: accept everything waiting (edge-triggered: until `EAGAIN`).
    func reactorEvent(_ events: UInt32) {
        while !closed.load(ordering: .acquiring) {
            let connection = Glibc.accept(fd, nil, nil)
            if connection >= 0 {
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) | O_NONBLOCK)
                // Accepted connections go over as byte streams, dialed ones as descriptors: the conformance
                // suite runs both of the contract's hand-overs.
                accept(.stream(SocketStream(descriptor: connection), localAddress: "\(address.endpoint)",
                               remoteAddress: "\(AbstractSocketTransport.scheme)://"))
            } else if errno != EINTR && errno != ECONNABORTED {
                return
            }
        }
    }

    /// Stops accepting and frees the name, on the reactor thread; returns once it is free.
    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { continuation in
            reactor.execute { [self] in
                reactor.deregister(fd, handler: self)
                Glibc.close(fd)
                continuation.resume()
            }
        }
    }
}
