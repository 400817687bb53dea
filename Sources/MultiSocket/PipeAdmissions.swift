@_spi(Internals) import MultiSocketConnector

/// What a synchronous `dial` learns from the listener's first word on a dialed pipe: its hello (it admitted
/// the pipe), its refusal (its pipe veto said no, with a reason), or a hello that does not fit our identity.
///
/// A socket with an identity watches every pipe it dials from the moment the pipe is added: the first word
/// may arrive before the dial looks. An entry lives until its pipe is removed, so the table is bounded by the
/// live pipes; the latest refusal per dialed address outlives its pipe, for a dial that looks too late. One leaf `Locked`; continuations are resumed outside it. Any thread.
final class PipeAdmissions: Sendable {
    /// The listener's verdict on a dialed pipe.
    enum Verdict: Sendable {
        /// It sent its hello: the pipe is admitted.
        case admitted
        /// It refused the pipe, or sent a hello that does not fit (`refusedByPeer`, `protocolMismatch`).
        case refused(MultiSocketError)
    }

    private struct Entry {
        var verdict: Verdict?
        var waiter: UnsafeContinuation<Verdict?, Never>?
        /// The wait's timeout passed (perhaps before the waiter was registered).
        var expired = false
    }

    private struct State {
        var entries: [UInt32: Entry] = [:]
        /// The latest refusal of a watched pipe, by the address dialed: a refusal can close its pipe before a
        /// synchronous dial looks for it. One per address dialed, so bounded by the dial addresses.
        var refusals: [String: MultiSocketError] = [:]
    }

    private let state = Locked(State())

    /// Starts watching dialed pipe `id`.
    func watch(_ id: UInt32) {
        state.withLock { $0.entries[id] = Entry() }
    }

    /// Records the first verdict for a watched pipe dialed to `address` and wakes its waiter; later verdicts
    /// are ignored. A refusal is also kept for ``takeRefusal(of:)``.
    func resolve(_ id: UInt32, address: String, _ verdict: Verdict) {
        let waiter = state.withLock { state -> UnsafeContinuation<Verdict?, Never>? in
            guard var entry = state.entries[id], entry.verdict == nil else { return nil }
            if case .refused(let error) = verdict { state.refusals[address] = error }
            entry.verdict = verdict
            defer { state.entries[id] = entry }
            return entry.waiter.take()
        }
        waiter?.resume(returning: verdict)
    }

    /// Forgets pipe `id` (it was removed); a waiter gets `nil` (no verdict).
    func forget(_ id: UInt32) {
        state.withLock { $0.entries.removeValue(forKey: id) }?.waiter?.resume(returning: nil)
    }

    /// Removes and returns the refusal kept for `address`, if any; a dial clears it before it starts.
    func takeRefusal(of address: String) -> MultiSocketError? {
        state.withLock { $0.refusals.removeValue(forKey: address) }
    }

    /// Waits until pipe `id` has a verdict, it is removed, or `timeout` passes (a timer on `socket`); `nil`
    /// for no verdict (not watched, removed, or a peer that sends no hello). Cancellation does not end the
    /// wait, which `timeout` bounds.
    func verdict(for id: UInt32, within timeout: Duration, on socket: Socket) async -> Verdict? {
        let timer = socket.schedule(after: timeout) { [self] in
            state.withLock { state -> UnsafeContinuation<Verdict?, Never>? in
                state.entries[id]?.expired = true
                return state.entries[id]?.waiter.take()
            }?.resume(returning: nil)
        }
        defer { socket.cancel(timer) }
        return await withUnsafeContinuation { (continuation: UnsafeContinuation<Verdict?, Never>) in
            let ready = state.withLock { state -> Verdict?? in
                guard var entry = state.entries[id] else { return .some(nil) }
                if let verdict = entry.verdict { return .some(verdict) }
                if entry.expired { return .some(nil) }
                entry.waiter = continuation
                state.entries[id] = entry
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
