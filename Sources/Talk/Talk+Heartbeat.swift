@_spi(Internals) import MultiSocketConnector

/// Heartbeats and dead-peer detection, on the socket's timer.
extension Talk {
    var heartbeatMilliseconds: UInt32 {
        guard let interval = configuration.heartbeatInterval else { return 0 }
        return UInt32(clamping: interval.components.seconds * 1000
            + interval.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The load figure for heartbeats, 0 … 65535.
    func currentLoad() -> UInt16 {
        let fraction: Double
        if let load = configuration.load {
            fraction = load()
        } else {
            let busiest = state.withLock { $0.peers.values.map(\.requests).max() ?? 0 }
            fraction = Double(busiest) / Double(max(1, configuration.maxConcurrentRequests))
        }
        return UInt16(min(1, max(0, fraction.isNaN ? 0 : fraction)) * Double(UInt16.max))
    }

    /// Arms the first heartbeat tick (nothing without ``TalkConfiguration/heartbeatInterval``).
    func startHeartbeats() {
        guard let interval = configuration.heartbeatInterval else { return }
        let timer = socket.schedule(after: interval) { [self] in tick() }
        let stale = state.withLock { state -> Bool in
            if state.closed { return true }
            state.heartbeatTimer = timer
            return false
        }
        if stale { socket.cancel(timer) }
    }

    /// One heartbeat interval: closes the pipes of Talk peers silent for more than
    /// ``TalkConfiguration/missedHeartbeats`` ticks, sends a heartbeat to the others, and arms the next tick.
    /// Runs on the socket's I/O thread. Silence is counted in ticks, not read off a clock: a side held up
    /// itself ticks late, and what its peers sent meanwhile may be waiting, unread, in its own queue.
    private func tick() {
        let missed = max(1, configuration.missedHeartbeats)
        let (alive, dead) = state.withLock { state -> ([UInt32], [MessagePipe]) in
            guard !state.closed else { return ([], []) }
            var alive: [UInt32] = []
            var dead: [MessagePipe] = []
            for (id, peer) in state.peers where peer.speaksTalk {
                state.peers[id]?.silentTicks += 1
                if peer.silentTicks + 1 > missed, let pipe = peer.pipe {
                    dead.append(pipe)
                    state.statistics.deadPeers += 1
                    state.peers[id]?.refusal = TalkError(.peerLost, "peer on pipe \(id) silent for \(missed) heartbeats")
                } else {
                    alive.append(id)
                }
            }
            return (alive, dead)
        }
        for pipe in dead { pipe.close() }
        let load = currentLoad()
        for id in alive {
            sendNow(TalkFrame(.heartbeat, number: heartbeatMilliseconds, load: load), to: [id])
        }
        startHeartbeats()
    }
}
