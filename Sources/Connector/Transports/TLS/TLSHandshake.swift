/// Runs a ``TLSStream``'s handshake on the reactor: registered for the socket's readiness, advanced on each
/// event, bounded by a deadline, then deregistered and handed on — before any framing or WebSocket upgrade
/// starts, so a peer that never finishes holds nothing past the deadline and never blocks the thread.
///
/// Everything runs on the reactor thread: ``start()``, ``cancel()``, the events and the timer; the
/// completion runs there exactly once. On failure, timeout or cancellation the stream is closed (an alert
/// already written stays written) and the completion gets a ``MultiSocketError``: `protocolMismatch`
/// with OpenSSL's reason (``certificate verify failed: …`` when the certificate was refused), `timedOut`,
/// or `closed` for a cancelled one.
final class TLSHandshake: ReactorHandler, @unchecked Sendable {
    typealias Completion = @Sendable (Result<TLSStream, MultiSocketError>) -> Void

    private let stream: TLSStream
    private let reactor: Reactor
    private let timeout: Duration
    private let peer: String
    // Reactor-thread state (checked at each entry).
    private var registered = false
    private var timer: UInt64?
    private var completion: Completion?

    /// A handshake over `stream` (not yet registered) with `peer` (text for errors); nothing happens until
    /// ``start()``. Any thread.
    init(stream: TLSStream, reactor: Reactor, timeout: Duration, peer: String, completion: @escaping Completion) {
        self.stream = stream
        self.reactor = reactor
        self.timeout = timeout
        self.peer = peer
        self.completion = completion
    }

    /// Registers the socket, arms the deadline and takes the first step. Reactor thread.
    func start() {
        reactor.assertInReactor()
        guard reactor.register(stream.descriptor, handler: self) else {
            return end(.failure(MultiSocketError(.systemError, "epoll_ctl for the TLS handshake with \(peer)")))
        }
        registered = true
        timer = reactor.schedule(after: timeout) { [self] in
            reactor.assertInReactor()
            timer = nil
            end(.failure(MultiSocketError(.timedOut, "TLS handshake with \(peer) did not finish within \(timeout)")))
        }
        advance()
    }

    /// Stops the handshake (its listener is closing): the stream is closed. Reactor thread; nothing happens
    /// if it already completed.
    func cancel() {
        reactor.assertInReactor()
        end(.failure(MultiSocketError(.closed, "TLS handshake with \(peer) cancelled")))
    }

    func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        advance()
    }

    private func advance() {
        guard completion != nil else { return }
        switch stream.advanceHandshake() {
        case .wouldBlock(let writing):
            // With epoll a no-op; the poll backend watches writability only when asked.
            if writing { reactor.awaitWritable(stream.descriptor) }
        case .done: end(.success(stream))
        case .failed(let reason):
            end(.failure(MultiSocketError(.protocolMismatch, "TLS handshake with \(peer) failed: \(reason)")))
        }
    }

    /// Deregisters, and closes the stream unless it succeeded; completes once.
    private func end(_ result: Result<TLSStream, MultiSocketError>) {
        guard let completion else { return }
        self.completion = nil
        if let timer { reactor.cancelTimer(timer) }
        timer = nil
        if registered { reactor.deregister(stream.descriptor, handler: self) }
        registered = false
        if case .failure = result { stream.close(sendingFirst: []) }
        completion(result)
    }
}
