import MultiSocketProtocols
import Synchronization
@_spi(Internals) import MultiSocketConnector

/// `Push` clients streaming numbered messages to one `Pull` server, which checks each message's checksum
/// and its sender's sequence (a gap is a loss) and, at each sender's `bye`, that nothing is missing at the
/// end of its stream.
final class PushPullLoad: SoakLoad {
    let pattern = SoakPattern.pushpull
    private let options: SoakOptions
    private let counters = PatternCounters()
    private let ledger = SequenceLedger()
    private let server = Pull()
    private let address: Address
    /// Clients whose `bye` has not arrived yet, with the number of messages each sent.
    private let awaitingBye = Locked<[UInt32: UInt64]>([:])

    init(options: SoakOptions) throws {
        self.options = options
        address = try server.listen("tcp://127.0.0.1:0")
    }

    func run(_ control: LoadControl) async {
        let receiving = Task { await receive() }
        let slots = (0..<options.peers).map { _ in LoadControl.Slot() }
        await withTaskGroup(of: Void.self) { group in
            for slot in slots { group.addTask { await self.client(in: slot, control) } }
            group.addTask { await control.churn(slots, perSecond: self.options.churn) }
        }
        // Every client has sent its bye and closed (flushing); wait for the byes to be read.
        await control.drain(within: .seconds(60), progress: { counters.received.value }) {
            awaitingBye.withLock { $0.isEmpty }
        }
        await server.close()
        await receiving.value
        // A missing bye: whatever its client sent past the last message read is lost.
        for (peer, count) in awaitingBye.withLock({ $0 }) {
            let next = ledger.remove(peer) ?? 0
            if count > next { counters.lost.bump(Int(count - next)) }
        }
    }

    func tally() -> SoakTally {
        counters.tally(pattern)
    }

    private func receive() async {
        while true {
            let message: Message
            do {
                message = try await server.receive()
            } catch {
                return
            }
            guard let stamp = SoakStamp.decode(message.content) else {
                counters.corrupt.bump()
                continue
            }
            switch stamp.kind {
            case .data:
                switch ledger.record(stamp.peer, stamp.sequence) {
                case .inOrder:
                    counters.received.bump()
                case .gap(let missing):
                    counters.received.bump()
                    counters.lost.bump(Int(missing))
                case .misordered:
                    counters.corrupt.bump()
                }
            case .bye:
                counters.lost.bump(Int(ledger.finish(stamp.peer, count: stamp.sequence)))
                awaitingBye.withLock { _ = $0.removeValue(forKey: stamp.peer) }
            }
        }
    }

    private func client(in slot: LoadControl.Slot, _ control: LoadControl) async {
        while !control.stopped {
            slot.reset()
            let peer = control.peerID()
            counters.clients.bump()
            let push = Push()
            do {
                try await push.dial(address)
                control.connected()
            } catch {
                counters.errors.bump()
                await push.close()
                return
            }
            var sequence: UInt64 = 0
            while !control.stopped && !slot.retiring {
                do {
                    try await push.send(SoakStamp(peer: peer, sequence: sequence).encode(payloadSize: options.size))
                } catch {
                    counters.errors.bump()
                    break
                }
                counters.sent.bump()
                sequence += 1
            }
            // Registered before the bye is sent, so the server cannot read the bye first.
            awaitingBye.withLock { $0[peer] = sequence }
            do {
                try await push.send(SoakStamp(kind: .bye, peer: peer, sequence: sequence).encode(payloadSize: 0))
            } catch {
                counters.errors.bump()
            }
            await push.close()
        }
    }
}
