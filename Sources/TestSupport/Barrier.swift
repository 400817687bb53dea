import Foundation
import Glibc
import MultiSocket
import Synchronization

/// Lets tasks wait until a number of them have arrived: proof that work runs concurrently, without
/// timing it. Once open it stays open. The time limit is a safety net that turns a hang into a failure.
public actor Barrier {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Creates a barrier that opens once `parties` tasks have arrived.
    public init(parties: Int) {
        self.parties = parties
    }

    /// Returns `true` once `parties` tasks have arrived, or `false` if `limit` passes first.
    public func arrive(within limit: Duration) async -> Bool {
        arrived += 1
        if arrived >= parties {
            for continuation in waiting { continuation.resume() }
            waiting = []
            return true
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.release()
        }
        await withCheckedContinuation { waiting.append($0) }
        timer.cancel()
        return arrived >= parties
    }

    private func release() {
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}
