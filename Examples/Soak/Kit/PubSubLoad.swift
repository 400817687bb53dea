import MultiSocketProtocols
import Synchronization
@_spi(Internals) import MultiSocketConnector

/// One `Pub` server publishing numbered messages to `Sub` clients (subscribed to everything). Each
/// subscriber checks every message's checksum and the sequence: a gap is a missing message. The publisher
/// is best effort, so a subscriber whose queue is full misses messages, and the publisher counts each such
/// drop: what is missing beyond the counted drops is lost.
///
/// With a publication window, the publisher waits while it is that far ahead of its slowest subscriber,
/// so drops stay rare; without one it floods and drops are expected (and counted).
final class PubSubLoad: SoakLoad {
    /// A subscriber's place in the stream, read by the publisher (pacing) and the drain.
    final class Progress: Sendable {
        let subscriber: Sub
        /// The next sequence number expected; meaningful once `started`.
        let next = Atomic<UInt64>(0)
        let started = Atomic(false)

        init(_ subscriber: Sub) {
            self.subscriber = subscriber
        }
    }

    private struct Registry {
        var subscribers: [UInt32: Progress] = [:]
        /// Set by the drain: subscribers registering later close at once.
        var drained = false
    }

    let pattern = SoakPattern.pubsub
    private let options: SoakOptions
    private let counters = PatternCounters()
    private let server = Pub()
    private let address: Address
    private let registry = Locked(Registry())
    private let published = Atomic(0)

    init(options: SoakOptions) throws {
        self.options = options
        address = try server.listen("tcp://127.0.0.1:0")
    }

    func run(_ control: LoadControl) async {
        let slots = (0..<options.peers).map { _ in LoadControl.Slot() }
        await withTaskGroup(of: Void.self) { group in
            for slot in slots { group.addTask { await self.subscriber(in: slot, control) } }
            group.addTask { await control.churn(slots, perSecond: self.options.churn) }
            group.addTask { await self.publish(control) }
        }
        await server.close()
    }

    func tally() -> SoakTally {
        var tally = counters.tally(pattern)
        tally.sent = published.load(ordering: .relaxed)
        tally.countedDrops = server.statistics.drops[.queueFull] ?? 0
        tally.lost = max(0, tally.missing - tally.countedDrops)
        return tally
    }

    /// Publishes until the run stops, then waits for the subscribers to catch up and closes them, counting
    /// what each is missing at the end of the stream.
    private func publish(_ control: LoadControl) async {
        // Start once the subscribers that dialed are known to the publisher too (or after 30 s).
        await control.drain(within: .seconds(30), quiet: .seconds(30), progress: { 0 }) {
            control.stopped || server.statistics.pipes >= options.peers
        }
        var sequence: UInt64 = 0
        var floor: UInt64 = 0
        var waits = 0
        let window = UInt64(options.pubWindow)
        while !control.stopped {
            // A subscriber whose latest messages were all dropped would wait for the next one forever, and the
            // publisher for it: after 50 ms without room, publish anyway.
            if window > 0 && sequence >= floor + window && waits < 100 {
                floor = slowest(default: sequence)
                if sequence >= floor + window {
                    waits += 1
                    try? await Task.sleep(for: .microseconds(500))
                    continue
                }
            }
            waits = 0
            do {
                try await server.publish(SoakStamp(peer: 0, sequence: sequence).encode(payloadSize: options.size))
            } catch {
                counters.errors.bump()
                break
            }
            sequence += 1
            published.store(Int(sequence), ordering: .relaxed)
        }
        let end = sequence
        await control.drain(within: .seconds(60), progress: { counters.received.value }) {
            registry.withLock { registry in
                registry.subscribers.values.allSatisfy { progress in
                    !progress.started.load(ordering: .relaxed) || progress.next.load(ordering: .relaxed) >= end
                }
            }
        }
        let remaining = registry.withLock { registry -> [Progress] in
            registry.drained = true
            return Array(registry.subscribers.values)
        }
        for progress in remaining where progress.started.load(ordering: .relaxed) {
            let next = progress.next.load(ordering: .relaxed)
            if end > next { counters.missing.bump(Int(end - next)) }
        }
        for progress in remaining { await progress.subscriber.close() }
    }

    /// The lowest next-expected sequence number among subscribers that have received something.
    private func slowest(default value: UInt64) -> UInt64 {
        registry.withLock { registry in
            registry.subscribers.values.lazy.filter { $0.started.load(ordering: .relaxed) }
                .map { $0.next.load(ordering: .relaxed) }.min() ?? value
        }
    }

    private func subscriber(in slot: LoadControl.Slot, _ control: LoadControl) async {
        while !control.stopped {
            slot.reset()
            let id = control.peerID()
            counters.clients.bump()
            let sub = Sub()
            sub.subscribe([UInt8]())
            do {
                try await sub.dial(address)
                control.connected()
            } catch {
                counters.errors.bump()
                await sub.close()
                return
            }
            let progress = Progress(sub)
            let admitted = registry.withLock { registry -> Bool in
                guard !registry.drained else { return false }
                registry.subscribers[id] = progress
                return true
            }
            if admitted { await receive(progress, slot, control) }
            registry.withLock { _ = $0.subscribers.removeValue(forKey: id) }
            await sub.close()
        }
    }

    /// Receives until the socket closes (the drain) or, before the run stops, the slot is retired.
    private func receive(_ progress: Progress, _ slot: LoadControl.Slot, _ control: LoadControl) async {
        while !(slot.retiring && !control.stopped) {
            let message: Message
            do {
                message = try await progress.subscriber.receive()
            } catch {
                return
            }
            guard let stamp = SoakStamp.decode(message.content), stamp.kind == .data, stamp.peer == 0 else {
                counters.corrupt.bump()
                continue
            }
            let started = progress.started.load(ordering: .relaxed)
            let expected = progress.next.load(ordering: .relaxed)
            if started && stamp.sequence > expected {
                counters.missing.bump(Int(stamp.sequence - expected))
            } else if started && stamp.sequence < expected {
                counters.corrupt.bump()
                continue
            }
            progress.next.store(stamp.sequence + 1, ordering: .relaxed)
            if !started { progress.started.store(true, ordering: .releasing) }
            counters.received.bump()
        }
    }
}
