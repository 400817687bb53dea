import CMultiSocketShims
import Glibc

/// Helpers over the BSD socket calls used by the tcp, ipc and ws transports.
enum SystemSocket {
    /// A resolved socket address: the raw `sockaddr` bytes and their family.
    struct Resolved: Sendable {
        var storage: [UInt8]
        var family: Int32

        func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
            storage.withUnsafeBytes { bytes in
                body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
            }
        }
    }

    /// Resolves a tcp, ws or ipc address once (redials reuse the result).
    static func resolve(_ address: Address, passive: Bool) throws(MultiSocketError) -> Resolved {
        if let port = address.port {
            let host = address.host == "*" ? nil : address.host
            var hints = addrinfo()
            hints.ai_family = host == nil ? AF_INET : AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &list)
            guard status == 0, let first = list else {
                throw MultiSocketError(.badAddress, "cannot resolve '\(address)': \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(list) }
            let bytes = [UInt8](UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
            return Resolved(storage: bytes, family: first.pointee.ai_family)
        } else if address.scheme == "ipc" {
            let path = address.path
            var unix = sockaddr_un()
            unix.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &unix.sun_path) { raw in
                raw.copyBytes(from: path.utf8)
            }
            let bytes = withUnsafeBytes(of: &unix) { [UInt8]($0) }
            return Resolved(storage: bytes, family: AF_UNIX)
        } else {
            throw MultiSocketError(.badAddress, "'\(address)' is not a socket address")
        }
    }

    /// A new non-blocking, close-on-exec stream socket.
    static func makeSocket(family: Int32) throws(MultiSocketError) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw systemError("socket") }
        return fd
    }

    /// Sets per-connection options on a connected stream socket.
    static func configureConnected(_ fd: Int32, family: Int32, options: PipeOptions) {
        guard family != AF_UNIX else { return }
        if options.tcpNoDelay { setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
        if options.tcpKeepAlive { setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1) }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The text form of the local or peer address of `fd`.
    static func describe(_ fd: Int32, peer: Bool, scheme: String) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                peer ? getpeername(fd, address, &length) : getsockname(fd, address, &length)
            }
        }
        guard status == 0 else { return "\(scheme)://?" }
        return describe(storage, scheme: scheme)
    }

    static func describe(_ storage: sockaddr_storage, scheme: String) -> String {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { raw in
                var address = raw.load(as: sockaddr_in.self)
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
                return "\(scheme)://\(Self.string(text)):\(UInt16(bigEndian: address.sin_port))"
            }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { raw in
                var address = raw.load(as: sockaddr_in6.self)
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
                return "\(scheme)://[\(Self.string(text))]:\(UInt16(bigEndian: address.sin6_port))"
            }
        case AF_UNIX:
            return withUnsafeBytes(of: &storage) { raw in
                let address = raw.load(as: sockaddr_un.self)
                let path = withUnsafeBytes(of: address.sun_path) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                return "\(scheme)://\(path)"
            }
        default:
            return "\(scheme)://?"
        }
    }

    /// The most connections one call of ``acceptPending(_:while:_:)`` accepts.
    static let acceptBatch = 64

    /// How ``acceptPending(_:while:_:)`` ended.
    enum AcceptOutcome: Equatable {
        /// No connection is waiting (`EAGAIN`): the next one raises a new edge.
        case drained
        /// `open` stopped holding.
        case stopped
        /// A batch of connections was accepted and more may wait: carry on after the rest of the turn, so
        /// that a flood of connections cannot keep the I/O thread from every other socket.
        case yielded
        /// The process or the system ran out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`,
        /// `ENOMEM`) with connections possibly still waiting: no new edge comes for them, so try again later.
        case exhausted(Int32)
        /// The listening socket itself failed (`EBADF`, `EINVAL`, …).
        case failed(Int32)
    }

    /// Accepts the connections waiting on the listening socket `fd` (edge-triggered: until `EAGAIN`, or
    /// ``acceptBatch`` of them), handing each new descriptor to `handle`, while `open` holds.
    ///
    /// A connection that failed before it could be accepted (`ECONNABORTED`, `EPROTO`, the network errors
    /// accept(2) passes on for Linux, `EPERM`) is skipped, not the end of the loop: the connections behind it
    /// would otherwise wait for an edge that never comes.
    static func acceptPending(_ fd: Int32, while open: () -> Bool, _ handle: (Int32) -> Void) -> AcceptOutcome {
        var accepted = 0
        while open() {
            if accepted == acceptBatch { return .yielded }
            let connection = cms_accept(fd)
            if connection >= 0 {
                accepted += 1
                handle(connection)
                continue
            }
            let error = cms_errno()
            switch error {
            case EINTR, ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH,
                 EOPNOTSUPP, ENETUNREACH:
                continue
            case EAGAIN, EWOULDBLOCK:
                return .drained
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                return .exhausted(error)
            default:
                return .failed(error)
            }
        }
        return .stopped
    }

    /// The text in a NUL-terminated C buffer.
    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The port a socket is bound to.
    static func boundPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw in
            family == AF_INET6
                ? UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
                : UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    /// An error for a failed system call, carrying `strerror`.
    static func systemError(_ call: String, _ error: Int32 = cms_errno()) -> MultiSocketError {
        MultiSocketError(.systemError, "\(call): \(String(cString: strerror(error)))")
    }
}
