/// What a role receives, as an `AsyncSequence`: ``Rep/requests``, ``Sub/messages``, ``Pull/messages``,
/// ``Respondent/surveys``.
///
/// Each `next()` is one call of the role's receive, so several tasks may iterate at once, each element going
/// to one of them. Iteration ends (returns `nil`) when the role's socket is closed and what it received is
/// drained. Cancelling the iterating task ends it with `CancellationError`, consuming nothing; a
/// ``/MultiSocket/SocketOptions/receiveTimeout`` ends it with ``/MultiSocketConnector/MultiSocketError/Code/timedOut``.
public struct RoleMessages<Element: Sendable>: AsyncSequence, Sendable {
    let receive: @Sendable () async throws -> Element

    /// Iterates by calling the role's receive.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let receive: @Sendable () async throws -> Element

        /// The next element, or `nil` once the socket is closed and drained.
        /// - Throws: `CancellationError`, or the role's receive errors other than `closed`.
        public mutating func next() async throws -> Element? {
            do {
                return try await receive()
            } catch let error as MultiSocketError where error.code == .closed {
                return nil
            }
        }
    }

    /// Makes an iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(receive: receive)
    }
}

extension Rep {
    /// The requests, as they arrive: `for try await request in rep.requests { … }`.
    public var requests: RoleMessages<Request> { RoleMessages { [self] in try await receive() } }
}

extension Sub {
    /// The messages that match a subscription.
    public var messages: RoleMessages<Message> { RoleMessages { [self] in try await receive() } }
}

extension Pull {
    /// The messages pushed to this socket.
    public var messages: RoleMessages<Message> { RoleMessages { [self] in try await receive() } }
}

extension Respondent {
    /// The surveys, as they arrive.
    public var surveys: RoleMessages<Survey> { RoleMessages { [self] in try await receive() } }
}

extension ProtocolRole {
    /// Returns once the role's socket has at least `count` peers (``/MultiSocket/Socket/waitForPeers(_:timeout:)``).
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `timedOut` or `closed`; `CancellationError`.
    public func waitForPeers(_ count: Int = 1, timeout: Duration) async throws {
        try await socket.waitForPeers(count, timeout: timeout)
    }
}
