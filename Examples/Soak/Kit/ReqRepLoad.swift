import MultiSocketProtocols
import Synchronization

/// `Req` clients, each with one request in flight, against a `Rep` server whose workers check each
/// request (checksum, per-client order) and echo it; each client checks that its reply is its request.
final class ReqRepLoad: SoakLoad {
    let pattern = SoakPattern.reqrep
    private let options: SoakOptions
    private let counters = PatternCounters()
    private let ledger = SequenceLedger()
    private let server = Rep()
    private let address: Address
    private let lateReplies = Atomic(0)

    init(options: SoakOptions) throws {
        self.options = options
        address = try server.listen("tcp://127.0.0.1:0")
    }

    func run(_ control: LoadControl) async {
        let serving = Task { [server, options] in
            try? await server.serve(workers: options.workers) { [self] request in answer(request) }
        }
        let slots = (0..<options.peers).map { _ in LoadControl.Slot() }
        await withTaskGroup(of: Void.self) { group in
            for slot in slots { group.addTask { await self.client(in: slot, control) } }
            group.addTask { await control.churn(slots, perSecond: self.options.churn) }
        }
        await server.close()
        _ = await serving.result
    }

    func tally() -> SoakTally {
        counters.tally(pattern)
    }

    /// Replies dropped by the clients' `Req`s because their request had timed out (diagnosis only).
    var droppedReplies: Int { lateReplies.load(ordering: .relaxed) }

    private func answer(_ request: Rep.Request) -> [UInt8]? {
        guard let stamp = SoakStamp.decode(request.body) else {
            counters.corrupt.bump()
            return nil
        }
        switch stamp.kind {
        case .data:
            // A gap means a request never reached the server: its client counts it lost when it times out.
            if ledger.record(stamp.peer, stamp.sequence) == .misordered { counters.corrupt.bump() }
        case .bye:
            _ = ledger.finish(stamp.peer, count: stamp.sequence)
        }
        return request.body
    }

    private func client(in slot: LoadControl.Slot, _ control: LoadControl) async {
        let timeout = Duration.milliseconds(Int(options.requestTimeout * 1000))
        while !control.stopped {
            slot.reset()
            let peer = control.peerID()
            counters.clients.bump()
            let req = Req()
            do {
                try await req.dial(address)
                control.connected()
            } catch {
                counters.errors.bump()
                await req.close()
                return
            }
            var sequence: UInt64 = 0
            func exchange(_ body: [UInt8]) async {
                do {
                    let reply = try await req.request(body, timeout: timeout)
                    if reply == body { counters.received.bump() } else { counters.corrupt.bump() }
                } catch let error as MultiSocketError where error.code == .timedOut {
                    counters.lost.bump()
                } catch {
                    counters.lost.bump()
                    counters.errors.bump()
                }
            }
            while !control.stopped && !slot.retiring {
                counters.sent.bump()
                await exchange(SoakStamp(peer: peer, sequence: sequence).encode(payloadSize: options.size))
                sequence += 1
            }
            counters.sent.bump()
            await exchange(SoakStamp(kind: .bye, peer: peer, sequence: sequence).encode(payloadSize: 0))
            lateReplies.add(req.droppedReplies, ordering: .relaxed)
            await req.close()
        }
    }
}
