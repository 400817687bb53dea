@_spi(Internals) import MultiSocketConnector

/// What ``SocketState`` needs of a pipe: its id, whether it is raw, and whether it still holds output.
///
/// ``/MultiSocketConnector/MessagePipe`` is the live conformance; the state machine's unit tests use a plain value, so the state
/// runs with no pipe, thread or reactor behind it.
protocol SocketStatePipe: Sendable {
    /// The pipe's id, unique while the socket holds the pipe.
    var id: UInt32 { get }
    /// Whether the pipe speaks plain bytes (it never takes to-one messages).
    var isRaw: Bool { get }
    /// Whether output is queued that the transport has not taken yet; when there is, a drain report
    /// (``SocketState/drained(_:)``) follows once it has. Called under the socket's lock.
    func watchPendingOutput() -> Bool
}

/// The types a ``SocketState`` is built from: the pipe handle, and the waiting receivers, senders and
/// closers it hands back in its actions. The socket uses ``LiveSocket`` (pipes and continuations); tests
/// use plain values.
protocol SocketStateTypes {
    /// A pipe as the state keeps it.
    associatedtype Pipe: SocketStatePipe
    /// A receive waiting for a message (resumed with one, or failed).
    associatedtype Receiver: Sendable
    /// A send waiting for room (resumed with `true` when taken, `false` to try again, or failed).
    associatedtype Sender: Sendable
    /// A close waiting for the queues to drain or for another close to finish.
    associatedtype Closer: Sendable
}

/// The types of a live ``Socket``'s state: message pipes and continuations.
enum LiveSocket: SocketStateTypes {
    typealias Pipe = MessagePipe
    typealias Receiver = UnsafeContinuation<Message, any Error>
    typealias Sender = UnsafeContinuation<Bool, any Error>
    typealias Closer = UnsafeContinuation<Void, Never>
}

extension MessagePipe: SocketStatePipe {
    func watchPendingOutput() -> Bool {
        link.watchPendingOutput()
    }
}
