@_spi(Internals) import MultiSocketConnector

/// The close transitions: begin, linger, finish.
extension SocketState {
    /// What a close does first.
    enum CloseStart {
        /// This call closes: fail these receivers and senders with `closed`, flush, then finish.
        case first(receivers: [Types.Receiver], senders: [Types.Sender])
        /// Another call is closing (or closed): wait for it with ``waitForClose(_:)``.
        case alreadyClosing
    }

    /// Starts closing: no new operation is taken, and everyone waiting is handed back to be failed.
    mutating func beginClose() -> CloseStart {
        guard lifecycle == .open else { return .alreadyClosing }
        lifecycle = .closing
        let waiting = Array(receivers.values)
        receivers = [:]
        receiverOrder = Ring()
        let senders = pendingSends.values.map(\.sender)
        pendingSends = [:]
        sharedWaiters = Ring()
        return .first(receivers: waiting, senders: senders)
    }

    /// Whether a second close waits.
    enum CloseWait {
        /// The socket is closed: resume now.
        case closed
        /// The closer waits for the first close to finish.
        case suspended
    }

    /// Registers a second close waiting for the first to finish.
    mutating func waitForClose(_ closer: Types.Closer) -> CloseWait {
        if lifecycle == .closed { return .closed }
        closeWaiters.append(closer)
        return .suspended
    }

    /// Whether a closing socket lingers.
    enum LingerStart {
        /// Nothing is left to flush: resume now.
        case drained
        /// The closer waits until the queues drain or the linger time passes (``lingerExpired()``).
        case waiting
    }

    /// Registers the closer that waits for the queues to drain (or, once ``lingerExpired()`` has been called,
    /// lets it go at once: the linger timer may fire before the closer is registered).
    mutating func startLinger(_ closer: Types.Closer) -> LingerStart {
        if isDrained() || lingerOver { return .drained }
        lingerWaiter = closer
        return .waiting
    }

    /// The linger time passed: the waiting closer, if it still waits; a closer registered later does not wait.
    mutating func lingerExpired() -> Types.Closer? {
        lingerOver = true
        return lingerWaiter.take()
    }

    /// Finishes closing: what is still queued is dropped (counted as ``DropReason/lingerExpired``); returns
    /// the other closes to resume.
    mutating func finishClose() -> [Types.Closer] {
        lifecycle = .closed
        let left = shared.removeAll().count
        if left > 0 { statistics.drops[.lingerExpired, default: 0] += left }
        defer { closeWaiters = [] }
        return closeWaiters
    }
}
