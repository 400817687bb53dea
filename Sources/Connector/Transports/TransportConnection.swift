import Glibc

/// What a ``Transport`` hands back for each dialed or accepted connection.
///
/// A transport outside this package makes one with ``socket(descriptor:localAddress:remoteAddress:)`` (a
/// connected socket) or ``stream(_:localAddress:remoteAddress:)`` (any ``ByteStream``, such as a TLS stream
/// over a socket); the built-in transports hand over the links they make themselves.
public struct TransportConnection: Sendable {
    enum Kind: Sendable {
        /// A link a built-in transport made.
        case link(any PipeLink)
        /// A connected byte stream to wrap in a stream link; `adopted` for a socket handed over by descriptor,
        /// which the library makes non-blocking and configures.
        case stream(any ByteStream, localAddress: String, remoteAddress: String, adopted: Bool)
    }

    let kind: Kind

    /// A connection a built-in transport made itself.
    package static func link(_ link: any PipeLink) -> TransportConnection {
        TransportConnection(kind: .link(link))
    }

    /// A connected stream socket (any family: TCP, Unix-domain, …), which the library now owns: it makes
    /// the descriptor non-blocking if it is not, sets TCP no-delay and keep-alive on a TCP socket as the
    /// endpoint's options say, frames it as they say (multisocket frames, or plain bytes when
    /// ``EndpointOptions/raw``), and closes it when the pipe ends. The addresses are text for pipes'
    /// ``MessagePipe/address`` and logs (`abstract://name`).
    public static func socket(descriptor: Int32, localAddress: String, remoteAddress: String) -> TransportConnection {
        TransportConnection(kind: .stream(SocketStream(descriptor: descriptor), localAddress: localAddress,
                                          remoteAddress: remoteAddress, adopted: true))
    }

    /// A connected, non-blocking byte stream, which the library now owns: it frames the stream as the
    /// endpoint's options say (multisocket frames, or plain bytes when ``EndpointOptions/raw``) and closes it
    /// when the pipe ends. Socket options (TCP no-delay, keep-alive) are the transport's to set. The addresses
    /// are text for pipes' ``MessagePipe/address`` and logs.
    public static func stream(_ stream: any ByteStream, localAddress: String,
                              remoteAddress: String) -> TransportConnection {
        TransportConnection(kind: .stream(stream, localAddress: localAddress, remoteAddress: remoteAddress,
                                          adopted: false))
    }

    /// The pipe link for this connection, made with `options` on `reactor`. Runs on the caller's thread.
    func makeLink(options: PipeOptions, reactor: Reactor) -> any PipeLink {
        switch kind {
        case .link(let link):
            return link
        case .stream(let stream, let local, let remote, let adopted):
            if adopted { Self.configure(stream.descriptor, options) }
            return StreamLink(stream: stream, reactor: reactor, options: options,
                              framing: MultiSocketFraming(options: options), localAddress: local, remoteAddress: remote)
        }
    }

    /// Makes an adopted socket non-blocking and applies the endpoint's TCP options to a TCP one.
    private static func configure(_ fd: Int32, _ options: PipeOptions) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 && flags & O_NONBLOCK == 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        let family = family(of: fd)
        if family == AF_INET || family == AF_INET6 {
            SystemSocket.configureConnected(fd, family: family, options: options)
        }
    }

    /// The address family of the socket `fd` (`AF_UNSPEC` if it has none).
    private static func family(of fd: Int32) -> Int32 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return status == 0 ? Int32(storage.ss_family) : AF_UNSPEC
    }
}
