/// Keeps one outgoing connection alive: dials, and after a failure or a lost pipe redials with jittered
/// exponential backoff.
final class Dialer: Sendable {
    private enum Phase {
        case idle
        case connecting
        case connected
        case waiting(timer: UInt64)
        case closed
    }

    private struct State {
        var phase = Phase.idle
        var paused = false
        var backoff: Duration
    }

    let text: String
    let address: Address
    private let transport: any Transport
    /// The endpoint's settings: its pipes' and the reconnect intervals.
    private let options: PipeOptions
    private let reactor: Reactor
    private let connector: Connector
    private let state: Locked<State>

    init(text: String, address: Address, transport: any Transport, options: PipeOptions, reactor: Reactor,
         connector: Connector) {
        self.text = text
        self.address = address
        self.transport = transport
        self.options = options
        self.reactor = reactor
        self.connector = connector
        self.state = Locked(State(backoff: options.minReconnectInterval))
    }

    /// Makes one attempt now. `firstResult`, when given, hears how this attempt ended; a failure then
    /// closes the dialer instead of scheduling a retry.
    func attempt(firstResult: (@Sendable (MultiSocketError?) -> Void)? = nil) {
        let go = state.withLock { state -> Bool in
            switch state.phase {
            case .idle: break
            case .waiting(let timer): reactor.cancelTimer(timer)
            case .connecting, .connected, .closed: return false
            }
            if state.paused {
                state.phase = .idle
                return false
            }
            state.phase = .connecting
            return true
        }
        guard go else {
            firstResult?(nil)
            return
        }
        let pipeReactor = reactor.nextForPipe()
        transport.dial(address, options: options, reactor: pipeReactor) { [self] result in
            switch result {
            case .success(let connection):
                if connector.add(connection.makeLink(options: options, reactor: pipeReactor), address: text,
                                 dialer: self) {
                    state.withLock { state in
                        if case .connecting = state.phase { state.phase = .connected }
                        state.backoff = options.minReconnectInterval
                    }
                    firstResult?(nil)
                } else {
                    retry()
                    firstResult?(nil)
                }
            case .failure(let error):
                if let firstResult {
                    close()
                    firstResult(error)
                } else {
                    connector.dialFailed(text, error: error)
                    retry()
                }
            }
        }
    }

    /// The dialer's pipe closed: redial after the current backoff.
    func pipeClosed() {
        state.withLock { state in
            if case .connected = state.phase { state.phase = .idle }
        }
        retry()
    }

    /// Stops redialing while the connector is at its pipe limit.
    func pause() {
        state.withLock { state in
            state.paused = true
            if case .waiting(let timer) = state.phase {
                reactor.cancelTimer(timer)
                state.phase = .idle
            }
        }
    }

    /// Lets a paused dialer reconnect (after the current backoff) if it has no pipe.
    func resume() {
        let idle = state.withLock { state -> Bool in
            state.paused = false
            if case .idle = state.phase { return true }
            return false
        }
        if idle { retry() }
    }

    /// Stops for good; the dialer's pipe, if any, is not touched.
    func close() {
        state.withLock { state in
            if case .waiting(let timer) = state.phase { reactor.cancelTimer(timer) }
            state.phase = .closed
        }
    }

    /// Schedules the next attempt and grows the backoff.
    private func retry() {
        let scheduled = state.withLock { state -> Duration? in
            switch state.phase {
            case .closed, .connected, .waiting: return nil
            case .idle, .connecting: break
            }
            state.phase = .idle
            guard options.reconnect, !state.paused else { return nil }
            let delay = state.backoff
            var next = state.backoff * Double.random(in: 1.1..<1.5)
            if let cap = options.maxReconnectInterval, next > cap { next = cap }
            state.backoff = next
            let timer = reactor.schedule(after: delay) { [self] in attempt() }
            state.phase = .waiting(timer: timer)
            return delay
        }
        if let scheduled { connector.reconnectScheduled(text, after: scheduled) }
    }
}
