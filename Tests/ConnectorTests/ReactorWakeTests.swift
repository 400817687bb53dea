import Dispatch
import Glibc
import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// The reactor wakes for every job posted from another thread while it sleeps.
@Suite(.timeLimit(.minutes(1)))
struct ReactorWakeTests {
    /// A burst of jobs, each posting the next, that ends exactly on the last round the loop runs per turn;
    /// then, once the loop sleeps in `epoll_wait`, a job posted from another thread. The loop used to go to
    /// sleep with its wake-up flag still set after such a burst, so the post skipped the wake-up and the job
    /// never ran: at the end of a run, with no descriptor left to wake it, a receiver or a close waited
    /// forever (`msperf local_thr` hung about once in 120 runs).
    @Test func postAfterAFullBurstWakesTheSleepingLoop() async throws {
        let reactor = ReactorGroup(threads: 1, name: "wake-test").reactors[0]
        await withCheckedContinuation { continuation in reactor.execute { continuation.resume() } }
        let thread = reactor.kernelThreadID
        for round in 0..<20 {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                @Sendable func chain(_ left: Int) {
                    if left == 0 {
                        continuation.resume()
                    } else {
                        reactor.execute { chain(left - 1) }
                    }
                }
                // 64 jobs: one per round of the turn (the loop's `jobRoundsPerTurn`).
                reactor.execute { chain(63) }
            }
            try await Self.waitUntilSleeping(thread)
            let ran = DispatchSemaphore(value: 0)
            reactor.execute { ran.signal() }
            let result = await offloaded { ran.wait(timeout: .now() + 5) }
            #expect(result == .success, "round \(round): a job posted to the sleeping loop did not run")
            if result != .success { return }
        }
    }

    /// Returns once thread `tid` of this process is blocked waiting for readiness: in `epoll_wait` (system
    /// call 232, or 281 for `epoll_pwait`, 441 for `epoll_pwait2`, as /proc reports it) or, with the poll
    /// backend, in `poll` (7) or `ppoll` (271).
    static func waitUntilSleeping(_ tid: Int32) async throws {
        try await withTimeout(10, "the reactor thread asleep in epoll_wait or poll") {
            while true {
                let fd = open("/proc/self/task/\(tid)/syscall", O_RDONLY)
                var buffer = [UInt8](repeating: 0, count: 64)
                let count = fd < 0 ? 0 : read(fd, &buffer, buffer.count)
                if fd >= 0 { close(fd) }
                let call = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).split(separator: " ").first
                if ["232", "281", "441", "7", "271"].contains(call) { return }
                await Task.yield()
            }
        }
    }
}
