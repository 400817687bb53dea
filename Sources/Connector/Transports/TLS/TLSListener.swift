import CMultiSocketShims
import Glibc
import Synchronization

/// A listening TCP socket whose connections become ``TLSStream``s: it accepts on the reactor thread, runs
/// each connection's handshake there (``TLSHandshake``, with the configuration's deadline), and hands each
/// stream that completes it to its callback. A connection whose handshake fails or times out is closed,
/// counted in ``rejectedHandshakes`` and its peer's address and error passed to the `rejected` callback
/// (on the reactor thread); the listener keeps accepting.
///
/// Closing it closes the socket and every connection still in its handshake; connections handed on are
/// not its own.
package final class TLSListener: TransportListener, ReactorHandler, @unchecked Sendable {
    package let address: Address
    private let fd: Int32
    private let family: Int32
    private let options: PipeOptions
    private let context: TLSContext
    private let reactor: Reactor
    private let accept: @Sendable (TLSStream, Int32) -> Void
    private let rejected: @Sendable (String?, MultiSocketError) -> Void
    private let closed = Atomic(false)
    private let rejections = Atomic(0)
    // Reactor-thread state (checked at each entry).
    private var retry = AcceptRetry()
    private var handshakes: [UInt64: TLSHandshake] = [:]
    private var nextHandshake: UInt64 = 0

    init(fd: Int32, address: Address, family: Int32, options: PipeOptions, context: TLSContext, reactor: Reactor,
         rejected: @escaping @Sendable (String?, MultiSocketError) -> Void,
         accept: @escaping @Sendable (TLSStream, Int32) -> Void) {
        self.fd = fd
        self.address = address
        self.family = family
        self.options = options
        self.context = context
        self.reactor = reactor
        self.accept = accept
        self.rejected = rejected
    }

    /// How many connections failed their handshake (or timed out in it). Any thread.
    package var rejectedHandshakes: Int { rejections.load(ordering: .relaxed) }

    package func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        guard events & cms_epollin() != 0 else { return }
        acceptPending()
    }

    private func acceptPending() {
        reactor.assertInReactor()
        retry.acceptPending(fd, on: reactor, while: { !closed.load(ordering: .acquiring) }) { connection in
            startHandshake(connection)
        } retry: { [weak self] in
            guard let self, !closed.load(ordering: .acquiring) else { return }
            acceptPending()
        }
    }

    private func startHandshake(_ connection: Int32) {
        reactor.assertInReactor()
        SystemSocket.configureConnected(connection, family: family, options: options)
        let peer = SystemSocket.describe(connection, peer: true, scheme: "tcp")
        let stream: TLSStream
        do {
            stream = try context.makeStream(descriptor: connection, host: nil)
        } catch {
            Glibc.close(connection)
            return reject(error, peer: peer)
        }
        let id = nextHandshake
        nextHandshake += 1
        let handshake = TLSHandshake(stream: stream, reactor: reactor, timeout: context.configuration.handshakeTimeout,
                                     peer: peer) { [self] result in
            reactor.assertInReactor()
            handshakes[id] = nil
            switch result {
            case .success(let stream): accept(stream, family)
            case .failure(let error): if error.code != .closed { reject(error, peer: peer) }
            }
        }
        handshakes[id] = handshake
        handshake.start()
    }

    private func reject(_ error: MultiSocketError, peer: String) {
        rejections.add(1, ordering: .relaxed)
        rejected(peer, error)
    }

    package func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { continuation in
            reactor.execute { [self] in
                reactor.assertInReactor()
                retry.cancel(on: reactor)
                reactor.deregister(fd, handler: self)
                Glibc.close(fd)
                for handshake in Array(handshakes.values) { handshake.cancel() }
                continuation.resume()
            }
        }
    }
}
