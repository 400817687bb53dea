@_spi(Internals) import MultiSocketConnector

/// Receiving with a deadline or without waiting, and waiting for peers.
extension Socket {
    /// Receives the next message, waiting at most `timeout` for it (instead of ``SocketOptions/receiveTimeout``).
    ///
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `timedOut` when no message came in time (nothing is consumed: the next
    ///   message goes to another receiver), `closed`, `notSupported` (a send-only socket); `CancellationError`.
    public func receive(timeout: Duration) async throws -> Message {
        if let message = try receiveWithoutWaiting() { return message }
        return try await receiveWaiting(timeout: timeout)
    }

    /// The oldest received message if one is queued, else `nil` at once. Never suspends.
    ///
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` (closed and drained), `notSupported` (a send-only socket);
    ///   `CancellationError` when the calling task is cancelled.
    public func tryReceive() throws -> Message? {
        try receiveWithoutWaiting()
    }

    /// Returns once the socket has at least `count` pipes (peers connected, handshakes done) — the cure for
    /// ZeroMQ's slow-joiner problem, where a publisher's first messages go out before its subscribers are
    /// there. Returns at once if it already has them.
    ///
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `timedOut` when they are not there within `timeout`, `closed` when the
    ///   socket closes first; `CancellationError`.
    public func waitForPeers(_ count: Int = 1, timeout: Duration) async throws {
        let events = events()
        if statistics.pipes >= count { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await event in events {
                    if case .pipeAdded = event, statistics.pipes >= count { return }
                }
                throw MultiSocketError(.closed, "socket closed while waiting for \(count) peer(s)")
            }
            group.addTask { [self] in
                try await Task.sleep(for: timeout)
                throw MultiSocketError(.timedOut, "\(statistics.pipes) of \(count) peer(s) within \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}
