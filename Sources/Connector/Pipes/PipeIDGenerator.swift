/// The process-wide source of pipe ids: 31-bit, nonzero, unique among live pipes, and not reused quickly
/// (the counter runs through all 2³¹−1 values before it wraps), so a stale reply path cannot reach a
/// new peer.
package final class PipeIDGenerator: Sendable {
    /// The one generator shared by every connector in the process.
    package static let shared = PipeIDGenerator()

    private struct State {
        var next: UInt32 = 1
        var inUse: Set<UInt32> = []
    }

    private let state = Locked(State())

    /// Returns a fresh id and marks it in use.
    package func acquire() -> UInt32 {
        state.withLock { state in
            while true {
                let candidate = state.next & 0x7FFF_FFFF
                state.next = candidate == 0x7FFF_FFFF ? 1 : candidate + 1
                if candidate != 0 && state.inUse.insert(candidate).inserted { return candidate }
            }
        }
    }

    /// Returns an id to the pool.
    package func release(_ id: UInt32) {
        _ = state.withLock { $0.inUse.remove(id) }
    }
}
