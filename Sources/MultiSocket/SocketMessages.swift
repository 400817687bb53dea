/// The messages a ``Socket`` receives, as an `AsyncSequence` (see ``Socket/messages``).
///
/// Iteration ends (returns `nil`) when the socket is closed and its received messages are drained.
/// Cancelling the iterating task ends it with `CancellationError`, consuming nothing.
public struct SocketMessages: AsyncSequence, Sendable {
    /// The element type: a received message.
    public typealias Element = Message

    let socket: Socket

    /// Iterates by calling ``Socket/receive()``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let socket: Socket

        /// The next message, or `nil` once the socket is closed and drained.
        /// - Throws: `CancellationError`, or ``/MultiSocketConnector/MultiSocketError`` `notSupported` on a send-only socket.
        public mutating func next() async throws -> Message? {
            do {
                return try await socket.receive()
            } catch let error as MultiSocketError where error.code == .closed {
                return nil
            }
        }
    }

    /// Makes an iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(socket: socket)
    }
}
