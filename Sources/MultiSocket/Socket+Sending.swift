/// The send paths: the shared to-one queue served by idle pipes, and path-addressed sends that wait
/// for one pipe.
extension Socket {
    func sendToOne(_ message: Message) async throws {
        enum Step {
            case serve(Pipe, first: Message?, drains: Int)
            case queued
            case wait
            case dropped
        }
        let step = try state.withLock { state throws(MultiSocketError) -> Step in
            guard state.lifecycle == .open else { throw MultiSocketError(.closed, "socket closed") }
            if state.shared.isEmpty, let pipe = state.takeIdlePipe() {
                return .serve(pipe, first: message, drains: state.pipes[pipe.id]?.drains ?? 0)
            }
            if state.shared.count < options.sendQueueSize {
                state.shared.append(message)
                if let pipe = state.takeIdlePipe() { return .serve(pipe, first: nil, drains: 0) }
                return .queued
            }
            return options.bestEffort ? .dropped : .wait
        }
        switch step {
        case .serve(let pipe, let first, let drains): serve(pipe, first: first, drains: drains)
        case .queued: return
        case .wait:
            _ = try await waitForRoom(message, pipeID: nil, drains: 0)
        case .dropped:
            drop(.queueFull)
            throw MultiSocketError(.messageDropped, "send queue full")
        }
    }

    /// Writes queued to-one messages to `pipe` (which the caller holds) while it can take more; if it turns
    /// busy or closes, another idle pipe carries on. One lock per message: the outcome of a write and the
    /// choice of the next message are made together.
    func serve(_ pipe: Pipe, first: Message?, drains: Int) {
        struct Next {
            var pipe: Pipe
            var message: Message
            var drains: Int
            var admitted: CheckedContinuation<Bool, any Error>?
        }
        var lingerWaiter: CheckedContinuation<Void, Never>?
        /// Takes the next shared message for `carrier`, or lets the pipe go when there is none (and wakes a
        /// closing socket waiting for everything to be written).
        func next(for carrier: Pipe?, in state: inout SocketState) -> Next? {
            guard let carrier else { return nil }
            guard let (message, admitted) = state.popShared() else {
                state.release(carrier.id)
                if state.lingerWaiter != nil, Self.isDrained(state) { lingerWaiter = state.lingerWaiter.take() }
                return nil
            }
            return Next(pipe: carrier, message: message, drains: state.pipes[carrier.id]?.drains ?? 0, admitted: admitted)
        }
        var step: Next?
        if let first {
            step = Next(pipe: pipe, message: first, drains: drains, admitted: nil)
        } else {
            step = state.withLock { next(for: pipe, in: &$0) }
        }
        while let current = step {
            current.admitted?.resume(returning: true)
            let message = current.message
            let pipe = current.pipe
            let result = pipe.link.send(message)
            step = state.withLock { state -> Next? in
                let carrier: Pipe?
                switch result {
                case .accepted(let idle):
                    state.countSent(message)
                    carrier = idle || state.markBusy(pipe.id, drainsSeen: current.drains) ? pipe : nil
                case .full:
                    state.shared.prepend(message)
                    carrier = state.markBusy(pipe.id, drainsSeen: current.drains) ? pipe : state.takeIdlePipe()
                case .closed:
                    state.shared.prepend(message)
                    state.abandon(pipe.id)
                    carrier = state.takeIdlePipe()
                case .unencodable:
                    state.count(.unencodable)
                    carrier = pipe
                }
                return next(for: carrier, in: &state)
            }
        }
        lingerWaiter?.resume()
    }

    /// Sends a to-destination message through the pipe its destination names, waiting while it is full.
    func sendAlong(_ message: Message) async throws {
        guard let first = message.destination.first else { return }
        while true {
            let (pipe, drains) = try state.withLock { state throws(MultiSocketError) -> (Pipe, Int) in
                guard state.lifecycle == .open else { throw MultiSocketError(.closed, "socket closed") }
                guard let entry = state.pipes[first] else {
                    throw MultiSocketError(.brokenPath, "no pipe \(first) for path \(message.destination)")
                }
                return (entry.pipe, entry.drains)
            }
            if try await send(message, through: pipe, drains: drains) { return }
        }
    }

    /// Sends a to-all message to every current pipe.
    func broadcast(_ message: Message) async throws {
        let pipes = try state.withLock { state throws(MultiSocketError) -> [(Pipe, Int)] in
            guard state.lifecycle == .open else { throw MultiSocketError(.closed, "socket closed") }
            return state.pipes.values.map { ($0.pipe, $0.drains) }
        }
        for (pipe, drains) in pipes {
            var drains = drains
            while true {
                do {
                    if try await send(message, through: pipe, drains: drains) { break }
                } catch let error as MultiSocketError where error.code == .brokenPath || error.code == .messageDropped {
                    break
                }
                guard let seen = state.withLock({ $0.pipes[pipe.id]?.drains }) else { break }
                drains = seen
            }
        }
    }

    /// One attempt through one pipe. Returns `true` when sent, `false` to try again (the pipe drained
    /// meanwhile).
    private func send(_ message: Message, through pipe: Pipe, drains: Int) async throws -> Bool {
        switch pipe.link.send(message) {
        case .accepted:
            state.withLock { $0.countSent(message) }
            return true
        case .full:
            if options.bestEffort {
                drop(.queueFull)
                throw MultiSocketError(.messageDropped, "queue of pipe \(pipe.id) full")
            }
            return try await waitForRoom(message, pipeID: pipe.id, drains: drains)
        case .closed:
            throw MultiSocketError(.brokenPath, "pipe \(pipe.id) closed")
        case .unencodable(let error):
            drop(.unencodable)
            throw error
        }
    }

    /// Suspends until the message is taken: into the shared queue (`pipeID` nil) or by the pipe when it
    /// drains. Returns `false` when the pipe drained before the wait began (send again at once).
    private func waitForRoom(_ message: Message, pipeID: UInt32?, drains: Int) async throws -> Bool {
        let id = state.withLock { $0.makeID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                var carrier: Pipe?
                let outcome = state.withLock { state -> Result<Bool, any Error>? in
                    guard state.lifecycle == .open else { return .failure(MultiSocketError(.closed, "socket closed")) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    let pending = SocketState.PendingSend(message: message, pipeID: pipeID, continuation: continuation)
                    guard let pipeID else {
                        if state.shared.count < options.sendQueueSize {
                            state.shared.append(message)
                            carrier = state.takeIdlePipe()
                            return .success(true)
                        }
                        state.pendingSends[id] = pending
                        state.sharedWaiters.append(id)
                        return nil
                    }
                    guard var entry = state.pipes[pipeID] else {
                        return .failure(MultiSocketError(.brokenPath, "pipe \(pipeID) closed"))
                    }
                    if entry.drains != drains { return .success(false) }
                    entry.waiters.append(id)
                    state.pipes[pipeID] = entry
                    state.pendingSends[id] = pending
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
                if let carrier { serve(carrier, first: nil, drains: 0) }
            }
        } onCancel: {
            state.withLock { $0.pendingSends.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }
}
