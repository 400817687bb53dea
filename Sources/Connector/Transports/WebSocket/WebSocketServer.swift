import CMultiSocketShims
import Glibc
import Synchronization

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
