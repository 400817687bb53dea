import Glibc

/// Runs one ``Preamble`` over a ``ByteStream`` on the reactor: the one place where handshakes before framing
/// do their I/O, with non-blocking reads and writes and a deadline.
///
/// The driver writes the preamble's opening bytes, then reads (4 KiB at a time) and shows the preamble
/// everything received until it decides. When it is done, the driver writes its reply, deregisters the
/// stream and completes with the outcome and the bytes that arrived past the preamble (the framing's first
/// bytes): the stream then belongs to the completion. When it refuses, fails or times out, the driver closes
/// the stream and completes with the error — after writing a refusal's reply, ending the write side and
/// waiting (up to the refusal's linger time, discarding what arrives) for the peer to close.
///
/// Everything runs on the reactor thread: ``start()``, ``cancel()``, the readiness events and the timers;
/// the completion runs there exactly once. Output is written whole before more input is read (preambles are
/// a few hundred bytes each way).
final class PreambleDriver<P: Preamble>: ReactorHandler, @unchecked Sendable {
    /// What a completed preamble hands on: what it learnt, and the bytes received past it.
    typealias Completion = @Sendable (Result<(outcome: P.Outcome, leftover: [UInt8]), MultiSocketError>) -> Void

    private enum Phase {
        /// Reading the peer's part (after the output is written).
        case exchanging
        /// Writing the reply, then handing the stream on with the bytes after `consumed`.
        case handingOff(P.Outcome, consumed: Int)
        /// Writing a refusal's reply, then lingering.
        case refusing(MultiSocketError, linger: Duration)
        /// Discarding input until the peer closes or the linger time passes.
        case draining(MultiSocketError)
        case done
    }

    private static var chunkSize: Int { 4096 }

    private let stream: any ByteStream
    private let reactor: Reactor
    // Reactor-thread state (checked by `reactor.assertInReactor()` at each entry).
    private var preamble: P
    private var phase = Phase.exchanging
    private var output: [UInt8] = []
    private var written = 0
    private var received: [UInt8] = []
    private var registered = false
    private var timer: UInt64?
    private var completion: Completion?

    /// A driver for `preamble` over `stream` (not yet registered with `reactor`); nothing happens until
    /// ``start()``. Any thread.
    init(preamble: P, stream: any ByteStream, reactor: Reactor, completion: @escaping Completion) {
        self.preamble = preamble
        self.stream = stream
        self.reactor = reactor
        self.completion = completion
    }

    /// Registers the stream, arms the deadline and sends the opening bytes. Reactor thread. A stream that
    /// cannot be registered fails with ``PreambleFailure/unregistrable``.
    func start() {
        reactor.assertInReactor()
        guard reactor.register(stream.descriptor, handler: self) else { return fail(.unregistrable) }
        registered = true
        timer = reactor.schedule(after: preamble.timeout) { [self] in expired() }
        output = preamble.opening()
        advance()
    }

    /// Stops the preamble: the stream is closed and the completion gets ``PreambleFailure/cancelled``'s
    /// error. Reactor thread; nothing happens if it already completed.
    func cancel() {
        reactor.assertInReactor()
        fail(.cancelled)
    }

    func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        advance()
    }

    private func expired() {
        reactor.assertInReactor()
        timer = nil
        if case .draining(let error) = phase { return end(error) }
        fail(.timedOut)
    }

    /// Moves on as far as the stream allows without blocking.
    private func advance() {
        reactor.assertInReactor()
        while true {
            if case .done = phase { return }
            guard flushOutput() else { return }
            switch phase {
            case .done:
                return
            case .exchanging:
                let searched = received.count
                guard readMore() else { return }
                switch preamble.received(received, searchedBefore: searched) {
                case .needMore:
                    break
                case .done(let outcome, let consumed, let reply):
                    output += reply
                    phase = .handingOff(outcome, consumed: consumed)
                case .refused(let error, let reply, let linger):
                    if reply.isEmpty { return end(error) }
                    output += reply
                    phase = .refusing(error, linger: linger)
                }
            case .handingOff(let outcome, let consumed):
                return handOff(outcome, leftover: Array(received[consumed...]))
            case .refusing(let error, let linger):
                // Let the peer read the refusal: nothing more from us, and close once it has closed.
                stream.shutdownWrite()
                phase = .draining(error)
                if let timer { reactor.cancelTimer(timer) }
                timer = reactor.schedule(after: linger) { [self] in expired() }
            case .draining(let error):
                received.removeAll(keepingCapacity: true)
                switch readChunk() {
                case .bytes: break
                case .wouldBlock: return
                case .end, .failed: return end(error)
                }
            }
        }
    }

    /// Writes what is left of the output. Returns `true` when all of it is written; `false` when the stream
    /// must become writable first or the driver has ended.
    private func flushOutput() -> Bool {
        while written < output.count {
            let result = output.withUnsafeMutableBytes { bytes -> ByteStreamWrite in
                var segment = iovec(iov_base: bytes.baseAddress! + written, iov_len: bytes.count - written)
                return withUnsafePointer(to: &segment) { stream.write(UnsafeBufferPointer(start: $0, count: 1)) }
            }
            switch result {
            case .wrote(let count): written += count
            case .wouldBlock:
                reactor.awaitWritable(stream.descriptor)
                return false
            case .failed(let error):
                fail(.broken(error))
                return false
            }
        }
        return true
    }

    /// Reads one chunk into `received`. Returns `false` when nothing came (wait for the next event) or the
    /// driver has ended.
    private func readMore() -> Bool {
        switch readChunk() {
        case .bytes: return true
        case .wouldBlock: return false
        case .end:
            fail(.ended)
            return false
        case .failed(let error):
            fail(.broken(error))
            return false
        }
    }

    /// One read of up to ``chunkSize`` bytes, appended to `received`.
    private func readChunk() -> ByteStreamRead {
        withUnsafeTemporaryAllocation(byteCount: Self.chunkSize, alignment: 16) { chunk in
            let result = stream.read(into: chunk)
            if case .bytes(let count) = result {
                received.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
            }
            return result
        }
    }

    private func fail(_ failure: PreambleFailure) {
        end(preamble.error(for: failure))
    }

    /// Gives the stream to the completion (no longer registered here).
    private func handOff(_ outcome: P.Outcome, leftover: [UInt8]) {
        phase = .done
        if let timer { reactor.cancelTimer(timer) }
        timer = nil
        if registered { reactor.deregister(stream.descriptor, handler: self) }
        registered = false
        let completion = self.completion
        self.completion = nil
        completion?(.success((outcome, leftover)))
    }

    /// Closes the stream and reports `error`; runs once.
    private func end(_ error: MultiSocketError) {
        if case .done = phase { return }
        phase = .done
        if let timer { reactor.cancelTimer(timer) }
        timer = nil
        if registered { reactor.deregister(stream.descriptor, handler: self) }
        registered = false
        stream.close(sendingFirst: [])
        let completion = self.completion
        self.completion = nil
        completion?(.failure(error))
    }
}
