@_spi(Internals) import MultiSocketConnector
import Foundation
import Glibc

/// A child's standard output or standard error, as the test reads it: a thread of its own drains the pipe
/// as bytes arrive (so the child never blocks on a full pipe), and the test takes them line by line
/// (``line()``) or to the end (``readToEnd()``, ``text()``); ``received`` is everything so far, for messages.
///
/// A stream that was not a ``ChildProcess/Stdio/pipe`` has ended before it began: reads return at once with
/// nothing. One reader at a time: concurrent ``line()`` calls are served in the order they were made.
public final class ChildOutput: Sendable {
    /// What a reader waits for.
    private enum Want {
        case line
        case end
    }

    /// What a reader gets.
    private enum Outcome {
        case bytes([UInt8])
        case ended
        case cancelled
    }

    private typealias Deliver = @Sendable (Outcome) -> Void

    private struct Waiter {
        let id: UInt64
        let want: Want
        let deliver: Deliver
    }

    /// The bytes received and taken, and the readers waiting: a small state machine whose mutations return
    /// the deliveries to make, which the caller performs after unlocking.
    private struct State {
        var received: [UInt8] = []
        /// How many bytes of `received` readers have taken.
        var taken = 0
        var ended: Bool
        var waiters: [Waiter] = []
        /// Readers that have an id but have not queued yet (a cancellation then marks them in `cancelled`).
        var pending: Set<UInt64> = []
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0

        /// Serves the waiters at the head of the line while what they want is there.
        mutating func serve() -> [(Deliver, Outcome)] {
            var ready: [(Deliver, Outcome)] = []
            while let first = waiters.first, let outcome = take(first.want) {
                waiters.removeFirst()
                ready.append((first.deliver, outcome))
            }
            return ready
        }

        /// Takes a line (without its newline; the last unterminated one at the end) or the rest, if there.
        private mutating func take(_ want: Want) -> Outcome? {
            let rest = received[taken...]
            switch want {
            case .line:
                if let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                    defer { taken = newline + 1 }
                    return .bytes(Array(received[taken..<newline]))
                }
                guard ended else { return nil }
                guard !rest.isEmpty else { return .ended }
                taken = received.count
                return .bytes(Array(rest))
            case .end:
                guard ended else { return nil }
                taken = received.count
                return .bytes(Array(rest))
            }
        }
    }

    private let state: Locked<State>

    /// Starts draining `descriptor` (the parent's read end, which this object now owns and closes at its end)
    /// on a thread of its own; a negative `descriptor` makes a stream that has already ended.
    init(descriptor: Int32, name: String) {
        state = Locked(State(ended: descriptor < 0))
        guard descriptor >= 0 else { return }
        let state = self.state
        let thread = Thread { Self.drain(descriptor, into: state) }
        thread.name = name
        thread.start()
    }

    /// Reads `descriptor` until end-of-file (or an error), handing each chunk to the waiting readers; runs on
    /// the stream's own thread, which it blocks.
    private static func drain(_ descriptor: Int32, into state: Locked<State>) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            let ready = state.withLock { state in
                if count > 0 {
                    state.received.append(contentsOf: buffer[..<count])
                } else {
                    state.ended = true
                }
                return state.serve()
            }
            for (deliver, outcome) in ready { deliver(outcome) }
            if count <= 0 { break }
        }
        close(descriptor)
    }

    /// The next line, without its `\n` (a last line without one is returned as it is), or `nil` once the
    /// stream has ended with nothing left. Waits on the stream's thread, never blocking the caller's.
    /// - Throws: `CancellationError` when the task is cancelled first (nothing is taken then).
    public func line() async throws -> String? {
        try await wait(.line).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Everything not yet taken, once the stream has ended (the child and any process it passed the pipe to
    /// have closed it). Waits on the stream's thread, never blocking the caller's.
    /// - Throws: `CancellationError` when the task is cancelled first (nothing is taken then).
    public func readToEnd() async throws -> [UInt8] {
        try await wait(.end) ?? []
    }

    /// ``readToEnd()`` as UTF-8 text.
    /// - Throws: `CancellationError` when the task is cancelled first.
    public func text() async throws -> String {
        String(decoding: try await readToEnd(), as: UTF8.self)
    }

    /// Everything received so far, taken or not (for test messages). Any thread, without waiting.
    public var received: [UInt8] { state.withLock { $0.received } }

    /// ``received`` as UTF-8 text.
    public var receivedText: String { String(decoding: received, as: UTF8.self) }

    /// Whether the stream has ended (end-of-file seen, or it was never a pipe). Any thread, without waiting.
    public var hasEnded: Bool { state.withLock { $0.ended } }

    /// ``readToEnd()`` for synchronous callers: blocks the calling thread (never call it on the cooperative
    /// pool, except where blocking is already the contract, as in ``TLSFixtures/directory``).
    func readToEndBlocking() -> [UInt8] {
        let done = DispatchSemaphore(value: 0)
        let result = Locked<[UInt8]>([])
        enqueue(allocate(), .end) { outcome in
            if case .bytes(let bytes) = outcome { result.withLock { $0 = bytes } }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }

    /// Waits for `want`; `nil` when the stream ended with nothing for it.
    private func wait(_ want: Want) async throws -> [UInt8]? {
        let id = allocate()
        let outcome: Outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                enqueue(id, want) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            cancel(id)
        }
        switch outcome {
        case .bytes(let bytes): return bytes
        case .ended: return nil
        case .cancelled: throw CancellationError()
        }
    }

    private func allocate() -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            state.pending.insert(state.nextID)
            return state.nextID
        }
    }

    private func enqueue(_ id: UInt64, _ want: Want, _ deliver: @escaping Deliver) {
        let ready = state.withLock { state -> [(Deliver, Outcome)] in
            state.pending.remove(id)
            if state.cancelled.remove(id) != nil { return [(deliver, .cancelled)] }
            state.waiters.append(Waiter(id: id, want: want, deliver: deliver))
            return state.serve()
        }
        for (deliver, outcome) in ready { deliver(outcome) }
    }

    private func cancel(_ id: UInt64) {
        let ready = state.withLock { state -> [(Deliver, Outcome)] in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                let waiter = state.waiters.remove(at: index)
                return [(waiter.deliver, .cancelled)] + state.serve()
            }
            if state.pending.contains(id) { state.cancelled.insert(id) }
            return []
        }
        for (deliver, outcome) in ready { deliver(outcome) }
    }
}
