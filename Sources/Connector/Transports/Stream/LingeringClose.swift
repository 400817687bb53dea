import Glibc

/// Closes a stream whose side is done without resetting what the peer has not read yet.
///
/// Closing a TCP socket while bytes from the peer sit unread — or arrive after the close, such as a hello
/// that crossed our last frames — makes the kernel answer with a reset, and a reset makes the peer's kernel
/// discard everything it had not handed to the application yet: a receiver paused on a full queue lost the
/// tail of a stream its sender had flushed completely. So a link that ends in order writes its goodbye,
/// shuts its write side (the peer reads our end of stream after our last byte), then reads and discards
/// whatever still comes until the peer closes its side in turn, and only then closes — or after
/// ``timeout``, so a peer that never closes cannot keep the descriptor. (HTTP servers call this a lingering
/// close.) The pipe is already gone when this starts: nothing here reaches a socket.
///
/// Threads: created and run on the reactor thread of the link it takes over; its events and its timer run
/// there too.
final class LingeringClose: ReactorHandler, @unchecked Sendable {
    /// How long the peer has to close its side once ours is shut.
    static let timeout: Duration = .seconds(2)

    private let stream: any ByteStream
    private let reactor: Reactor
    /// The timer that closes at the latest. Reactor thread only.
    private var deadline: UInt64?
    /// Whether the stream is closed. Reactor thread only.
    private var closed = false

    private init(stream: any ByteStream, reactor: Reactor) {
        self.stream = stream
        self.reactor = reactor
    }

    /// Writes `goodbye` (best effort), shuts the write side of `stream` and closes it once the peer has closed
    /// its own or ``timeout`` has passed. `stream` must not be registered with any reactor. Reactor thread.
    static func start(_ stream: any ByteStream, goodbye: [UInt8], on reactor: Reactor) {
        reactor.assertInReactor()
        if !goodbye.isEmpty {
            goodbye.withUnsafeBytes { bytes in
                var segment = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress!),
                                    iov_len: bytes.count)
                _ = withUnsafePointer(to: &segment) { stream.write(UnsafeBufferPointer(start: $0, count: 1)) }
            }
        }
        stream.shutdownWrite()
        let closer = LingeringClose(stream: stream, reactor: reactor)
        guard reactor.register(stream.descriptor, handler: closer) else { return stream.close(sendingFirst: []) }
        closer.deadline = reactor.schedule(after: timeout) { [closer] in closer.close() }
        // Edge-triggered: what arrived before the registration raises no event; read it now.
        closer.discardInput()
    }

    func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        discardInput()
    }

    /// Reads and drops what arrived; closes at the peer's end of stream or a failure.
    private func discardInput() {
        reactor.assertInReactor()
        guard !closed else { return }
        withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { scratch in
            while true {
                switch stream.read(into: scratch) {
                case .bytes: continue
                case .wouldBlock: return
                case .end, .failed: return close()
                }
            }
        }
    }

    private func close() {
        reactor.assertInReactor()
        guard !closed else { return }
        closed = true
        if let deadline { reactor.cancelTimer(deadline) }
        reactor.deregister(stream.descriptor, handler: self)
        stream.close(sendingFirst: [])
    }
}
