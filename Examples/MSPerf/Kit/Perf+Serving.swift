import MultiSocket

/// The servers' side: answer until the peers leave, as the stock `local_lat` answers until its count is done.
extension Perf {
    /// Subscribes to `socket`'s events, then listens on `address` and reports the bound address to `bound`;
    /// returns the events, which ``serve(_:peers:_:)`` watches for the peers leaving.
    ///
    /// Runs on the caller's thread. Subscribing first means no pipe of a fast dialer goes unseen.
    /// - Throws: ``MultiSocketError`` from `listen` (bad address, address in use, unsupported scheme).
    static func listen(_ socket: Socket, _ address: String,
                       _ bound: (Address) -> Void) throws -> AsyncStream<SocketEvent> {
        let events = socket.events()
        bound(try socket.listen(address))
        return events
    }

    /// Runs `answerOne` over and over (on the socket's I/O thread unless `MSPERF_EXECUTOR=pool`) until the
    /// socket has had peers and none is left, then closes the socket and returns.
    ///
    /// A peer that leaves with an answer still owed (a broken path, a reply dropped) ends nothing: the loop
    /// goes on to the next message. Cancellation closes the socket and throws `CancellationError`.
    /// - Throws: what `answerOne` throws, except ``MultiSocketError`` `closed` (the end of the run),
    ///   `brokenPath` and `messageDropped`.
    static func serve(_ socket: Socket, peers events: AsyncStream<SocketEvent>,
                      _ answerOne: () async throws -> Void) async throws {
        try await closing(socket) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await closeWhenPeersLeave(socket, events) }
                do {
                    try await answerUntilClosed(answerOne)
                } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }
    }

    /// ``serve(_:peers:_:)`` with one answering loop on each of `executors` (on the pool instead when
    /// `MSPERF_EXECUTOR=pool` is set), all taking from `socket`'s receive queue.
    /// - Throws: as ``serve(_:peers:_:)``; the first loop's error ends the others.
    static func serve(_ socket: Socket, peers events: AsyncStream<SocketEvent>, loopsOn executors: [any TaskExecutor],
                      _ answerOne: @escaping @Sendable () async throws -> Void) async throws {
        try await closing(socket) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await closeWhenPeersLeave(socket, events) }
                let loops = executors.count
                try await withThrowingTaskGroup(of: Void.self) { answering in
                    for executor in executors {
                        answering.addTask(executorPreference: onIOThread ? executor : nil) {
                            try await answerUntilClosed(answerOne)
                        }
                    }
                    do {
                        for _ in 0..<loops { try await answering.next() }
                    } catch {
                        answering.cancelAll()
                        group.cancelAll()
                        throw error
                    }
                }
                group.cancelAll()
            }
        }
    }

    private static func answerUntilClosed(_ answerOne: () async throws -> Void) async throws {
        while true {
            do {
                try await answerOne()
            } catch let error as MultiSocketError {
                switch error.code {
                case .closed: return
                case .brokenPath, .messageDropped: continue
                default: throw error
                }
            }
        }
    }

    /// Closes `socket` when the number of its pipes, counted from `events`, falls back to zero; returns
    /// without closing when the events end or the task is cancelled.
    private static func closeWhenPeersLeave(_ socket: Socket, _ events: AsyncStream<SocketEvent>) async {
        var peers = 0
        for await event in events {
            switch event {
            case .pipeAdded:
                peers += 1
            case .pipeRemoved:
                peers -= 1
                if peers == 0 {
                    await socket.close()
                    return
                }
            default:
                continue
            }
        }
    }
}
