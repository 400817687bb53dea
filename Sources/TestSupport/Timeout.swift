import Foundation
import Glibc
import MultiSocket
import Synchronization

/// Thrown by ``withTimeout(_:_:_:)`` when the deadline passes first.
public struct TimeoutError: Error, CustomStringConvertible {
    /// What was being waited for.
    public let what: String
    /// The deadline, in seconds.
    public let seconds: Double

    /// Creates the error.
    public init(what: String, seconds: Double) {
        self.what = what
        self.seconds = seconds
    }

    /// The reason, for test output.
    public var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

/// Runs `body`, failing with ``TimeoutError`` if it takes longer than `seconds`. The deadline is a safety
/// net that turns a hang into a failure; it is never used to let something happen.
///
/// On the deadline `body` is cancelled and the error thrown at once, without waiting for `body` to end: a
/// body stuck in something cancellation cannot reach (a `Task`'s `value`, a continuation nobody resumes)
/// fails its test instead of hanging the whole run.
public func withTimeout<T: Sendable>(
    _ seconds: Double,
    _ what: String = "operation",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = TimeoutRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation,
                       body: Task { race.finish(with: await Result(catching: body)) },
                       deadline: Task {
                           try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                           race.finish(with: .failure(Task.isCancelled ? CancellationError()
                                                                        : TimeoutError(what: what, seconds: seconds)))
                       })
        }
    } onCancel: {
        race.cancel()
    }
}

/// The first of a body and its deadline to finish resumes the caller; the other is cancelled.
private final class TimeoutRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        var outcome: Result<T, any Error>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, body: Task<Void, Never>,
               deadline: Task<Void, Never>) {
        let (early, cancel) = state.withLock { state -> (Result<T, any Error>?, Bool) in
            state.tasks = [body, deadline]
            if let outcome = state.outcome { return (outcome, false) }
            state.continuation = continuation
            return (nil, state.cancelled)
        }
        if let early {
            continuation.resume(with: early)
            body.cancel()
            deadline.cancel()
        } else if cancel {
            self.cancel()
        }
    }

    func finish(with outcome: Result<T, any Error>) {
        typealias Resume = (CheckedContinuation<T, any Error>?, [Task<Void, Never>])
        let (continuation, tasks) = state.withLock { state -> Resume in
            guard state.outcome == nil else { return (nil, []) }
            state.outcome = outcome
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        continuation?.resume(with: outcome)
        for task in tasks { task.cancel() }
    }

    func cancel() {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.cancelled = true
            return state.tasks
        }
        for task in tasks { task.cancel() }
    }
}

extension Result where Failure == any Error {
    /// The result of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}

/// Whether this process runs under the thread or address sanitizer: stress tests scale their counts down
/// there (they run several times slower, on the same shared I/O thread as every other test).
public let runningUnderSanitizer = dlsym(nil, "__tsan_init") != nil || dlsym(nil, "__asan_init") != nil
