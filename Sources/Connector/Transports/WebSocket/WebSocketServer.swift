import CMultiSocketShims
import Glibc
import Synchronization

/// The listening socket of one ws or wss endpoint, shared by its paths: accepts on the reactor thread and
/// runs each connection's handshakes — for wss the TLS handshake (``TLSHandshake``) first, then the
/// WebSocket one (a ``WebSocketServerPreamble`` run by a ``PreambleDriver``) over the TLS stream — and
/// hands the connection to the listener of the path it asked for. A connection failing either is closed;
/// one failing the TLS handshake (or timing out in it) is also reported to the endpoint's listeners.
final class WebSocketServer: ReactorHandler, @unchecked Sendable {
    let key: String
    let scheme: String
    let family: Int32
    let reactor: Reactor
    private let fd: Int32
    private let closed = Atomic(false)
    /// Handshakes under way, by a number of their own. Reactor thread only (checked).
    private var handshakes: [UInt64: PreambleDriver<WebSocketServerPreamble>] = [:]
    /// TLS handshakes under way (wss), by a number of their own. Reactor thread only (checked).
    private var tlsHandshakes: [UInt64: TLSHandshake] = [:]
    /// The TLS context of a wss endpoint; `nil` for ws.
    private let tls: TLSContext?
    private var nextHandshake: UInt64 = 0
    /// Retries accepting after the process ran out of descriptors. Reactor thread only (checked).
    private var retry = AcceptRetry()

    init(fd: Int32, key: String, scheme: String, family: Int32, reactor: Reactor, tls: TLSContext?) {
        self.fd = fd
        self.key = key
        self.scheme = scheme
        self.tls = tls
        self.family = family
        self.reactor = reactor
    }

    func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        guard events & cms_epollin() != 0 else { return }
        acceptPending()
    }

    /// Accepts what waits; after `EMFILE` and the like, again on a timer (a closed server's timer does
    /// nothing: its descriptor may already belong to something else).
    private func acceptPending() {
        reactor.assertInReactor()
        retry.acceptPending(fd, on: reactor, while: { !closed.load(ordering: .acquiring) }) { connection in
            if let tls { return startTLS(connection, tls) }
            startHandshake(SocketStream(descriptor: connection))
        } retry: { [weak self] in
            guard let self, !closed.load(ordering: .acquiring) else { return }
            acceptPending()
        }
    }

    /// Runs the TLS handshake of a wss connection just accepted, then its WebSocket handshake. Reactor
    /// thread.
    private func startTLS(_ connection: Int32, _ tls: TLSContext) {
        reactor.assertInReactor()
        let peer = SystemSocket.describe(connection, peer: true, scheme: scheme)
        let stream: TLSStream
        do {
            stream = try tls.makeStream(descriptor: connection, host: nil)
        } catch {
            Glibc.close(connection)
            return reject(peer, error)
        }
        let id = nextHandshake
        nextHandshake += 1
        let handshake = TLSHandshake(
            stream: stream, reactor: reactor, timeout: tls.configuration.handshakeTimeout, peer: peer
        ) { [self] result in
            reactor.assertInReactor()
            tlsHandshakes[id] = nil
            if case .failure(let error) = result, error.code != .closed { reject(peer, error) }
            guard case .success = result else { return }
            guard !closed.load(ordering: .acquiring) else { return stream.close(sendingFirst: []) }
            startHandshake(stream)
        }
        tlsHandshakes[id] = handshake
        handshake.start()
    }

    /// Tells every path listening on this endpoint that the TLS handshake with `peer` failed. Reactor thread.
    private func reject(_ peer: String, _ error: MultiSocketError) {
        reactor.assertInReactor()
        for route in WebSocketTransport.routes(key) { route.rejected(peer, error) }
    }

    /// Runs the WebSocket handshake of a connection just accepted (for wss, just secured). Reactor thread.
    private func startHandshake(_ stream: any ByteStream) {
        reactor.assertInReactor()
        let id = nextHandshake
        nextHandshake += 1
        let driver = PreambleDriver(preamble: WebSocketServerPreamble(key: key), stream: stream, reactor: reactor) {
            [self] result in
            handshakes[id] = nil
            guard case .success(let done) = result else { return }
            handOff(stream, to: done.outcome.route, path: done.outcome.path, leftover: done.leftover)
        }
        handshakes[id] = driver
        driver.start()
    }

    /// Gives a connection whose handshake completed to its path's listener — unless the path stopped listening
    /// while the response was written (its port lives on for others): then it is closed. Reactor thread.
    private func handOff(_ stream: any ByteStream, to route: WebSocketTransport.Route, path: String,
                         leftover: [UInt8]) {
        reactor.assertInReactor()
        guard WebSocketTransport.route(key, path)?.listener === route.listener else {
            return stream.close(sendingFirst: [])
        }
        let link = WebSocketTransport.makeLink(
            stream: stream, family: family, scheme: scheme, role: .server, path: path, options: route.options,
            reactor: reactor.nextForPipe(),
            alreadyRead: leftover
        )
        route.accept(link)
    }

    /// Closes the socket and every connection still in its handshake; the port is free when this returns.
    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { continuation in
            reactor.execute { [self] in
                reactor.assertInReactor()
                retry.cancel(on: reactor)
                reactor.deregister(fd, handler: self)
                Glibc.close(fd)
                for handshake in Array(handshakes.values) { handshake.cancel() }
                for handshake in Array(tlsHandshakes.values) { handshake.cancel() }
                continuation.resume()
            }
        }
    }
}
