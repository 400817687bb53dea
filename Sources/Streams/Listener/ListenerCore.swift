@_spi(Internals) import MultiSocketConnector

/// A listener's queue of streams not accepted yet (open already: their connects were acknowledged), and the tasks waiting in `accept`.
final class ListenerCore: Sendable {
    struct State: HasWaiters {
        var pending: [StreamCore] = []
        var closed = false
        var waiters = WaiterTable()
    }

    /// The name streams connect to (empty for the raw listener).
    let name: String
    let capacity: Int
    let state: Locked<State>

    init(name: String, capacity: Int) {
        self.name = name
        self.capacity = capacity
        state = Locked(State())
    }

    /// Queues a stream; returns why not when the listener closed or its queue is full.
    func offer(_ pending: StreamCore, socket: Socket) -> StreamFrame.RefuseReason? {
        let capacity = capacity
        let outcome = state.withLock { state -> Result<[WaiterTable.Entry], RefusalBox> in
            if state.closed { return .failure(RefusalBox(reason: .closing)) }
            if state.pending.count >= capacity { return .failure(RefusalBox(reason: .queueFull)) }
            state.pending.append(pending)
            return .success(state.waiters.removeAll([.accept]))
        }
        switch outcome {
        case .success(let entries):
            resume(entries, on: socket)
            return nil
        case .failure(let box):
            return box.reason
        }
    }

    struct RefusalBox: Error { let reason: StreamFrame.RefuseReason }

    /// Takes the oldest queued stream, waiting until `deadline`.
    func take(socket: Socket, deadline: ContinuousClock.Instant?) async throws -> StreamCore {
        while true {
            let next = try state.withLock { state throws(StreamError) -> StreamCore? in
                if state.closed { throw StreamError(.connectionClosed, "the listener '\(name)' was closed") }
                return state.pending.isEmpty ? nil : state.pending.removeFirst()
            }
            if let next { return next }
            try await waitUntil(state, .accept, socket: socket, deadline: deadline,
                                timeout: StreamError(.acceptTimeout, "no stream arrived in time")) {
                $0.closed || !$0.pending.isEmpty
            }
        }
    }

    /// Closes the queue; returns what was still queued and wakes every waiter.
    func close(socket: Socket) -> [StreamCore] {
        let (pending, entries) = state.withLock { state -> ([StreamCore], [WaiterTable.Entry]) in
            if state.closed { return ([], []) }
            state.closed = true
            defer { state.pending.removeAll() }
            return (state.pending, state.waiters.removeAll())
        }
        resume(entries, on: socket)
        return pending
    }

    /// Queued streams (for the tests' leak checks).
    var pendingCount: Int { state.withLock { $0.pending.count } }
}
