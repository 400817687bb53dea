import Foundation
import Glibc
import Synchronization

/// Starts child processes one at a time across the whole test run, and holds launches back while a test
/// needs none to happen.
///
/// Foundation's `Process.run()` on Linux is not safe to call from several threads at once: with dozens of
/// peer processes started by concurrent suites (pynng, nngcat, openssl, node, mscat, soak) it crashed now
/// and then in a `memcpy` inside `run()`. And a child between its fork and its exec holds a copy of every
/// descriptor of the test process, close-on-exec ones included: a listener a test has just closed stays bound
/// in it for that moment, so a test that listens again on the same port at once must not overlap a launch
/// (``withoutLaunches(_:)``).
public enum ProcessLauncher {
    private struct State {
        var holds = 0
        var launching = false
    }

    private static let state = Mutex(State())
    private static let launch = Mutex(())

    /// Runs `process` (`process.run()`) while no other launch through here is under way and no test holds
    /// launches back (waiting, on the calling thread, for such a hold to end). Any thread.
    /// - Throws: what `Process.run()` throws (no such executable, …).
    public static func run(_ process: Process) throws {
        try launch.withLock { _ in
            while !state.withLock({ state -> Bool in
                guard state.holds == 0 else { return false }
                state.launching = true
                return true
            }) {
                usleep(1000)
            }
            defer { state.withLock { $0.launching = false } }
            try process.run()
        }
    }

    /// Runs `body` with no process launch through ``run(_:)`` starting or under way meanwhile. Cancellation
    /// is `body`'s business. Rethrows what `body` throws.
    public static func withoutLaunches<T>(_ body: () async throws -> T) async rethrows -> T {
        state.withLock { $0.holds += 1 }
        defer { state.withLock { $0.holds -= 1 } }
        while state.withLock({ $0.launching }) {
            try? await Task.sleep(for: .milliseconds(1))
        }
        return try await body()
    }
}
