import Foundation
import Synchronization

/// Starts child processes one at a time across the whole test run.
///
/// Foundation's `Process.run()` on Linux is not safe to call from several threads at once: with dozens of
/// peer processes started by concurrent suites (pynng, nngcat, openssl, node, mscat, soak) it crashed now
/// and then in a `memcpy` inside `run()`. The launch itself is quick; the processes still run side by side.
public enum ProcessLauncher {
    private static let lock = Mutex(())

    /// Runs `process` (`process.run()`) while no other launch through here is under way. Any thread.
    /// - Throws: what `Process.run()` throws (no such executable, …).
    public static func run(_ process: Process) throws {
        try lock.withLock { _ in try process.run() }
    }
}
