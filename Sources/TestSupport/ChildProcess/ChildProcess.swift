@_spi(Internals) import MultiSocketConnector
import Foundation
import Glibc

/// A child process started with `posix_spawn`, for tests: every tool, peer and example a test runs.
///
/// Foundation's `Process.run()` is not used anywhere in the tests: on Linux (swift-corelibs-foundation
/// before PR #5472) it copies a fixed 256-byte `d_name` out of each `readdir` record of `/proc/self/fd` and
/// reads past glibc's buffer, which crashed about one test run in four, whether or not launches overlapped.
///
/// What the child gets: the executable (a bare name is looked up on `PATH` as `/usr/bin/env` would), its
/// arguments, the test process's environment or the one given, a working directory, standard input, output
/// and error each inherited, `/dev/null` or a pipe to the test — and no other descriptor (every descriptor
/// from 3 up is closed in the child, and the pipes are made close-on-exec, so one test's child never holds
/// another test's pipe open). It starts with no signal blocked and every signal at its default action (the
/// test process's blocked signals are not inherited, so `SIGTERM` reaches it), in a process group of its own
/// unless asked otherwise (as Foundation's `Process` did).
///
/// A thread of its own waits for the exit (`waitid`), reaps the child, and wakes ``waitUntilExit()``; the
/// signal methods send nothing once it is reaped, so a recycled process id is never signalled. Dropping the
/// object does not end the child: end it (``kill()``) and wait for it.
public final class ChildProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// The executable that runs (after the `PATH` lookup).
    public let path: String
    /// Standard output (empty and ended unless it is a ``Stdio/pipe``).
    public let output: ChildOutput
    /// Standard error (empty and ended unless it is a ``Stdio/pipe``).
    public let errors: ChildOutput

    private typealias Deliver = @Sendable (Termination?) -> Void

    /// The exit once reaped, and who waits for it (`nil` delivered: cancelled).
    private struct State {
        var termination: Termination?
        var waiters: [UInt64: Deliver] = [:]
        /// Waiters that have an id but have not queued yet (a cancellation then marks them in `cancelled`).
        var pending: Set<UInt64> = []
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Locked(State())
    /// The write end of the standard-input pipe, -1 once closed or when there is none.
    private let input: Locked<Int32>

    /// Starts `executable` with `arguments`, on the calling thread (the spawn itself is quick and does not
    /// wait for the child).
    ///
    /// - Parameters:
    ///   - executable: a path (with a `/`; relative paths count from `workingDirectory` when one is given) or a
    ///     bare name looked up on the `PATH` of `environment` (or of the test process).
    ///   - arguments: the arguments after `argv[0]` (which is `executable` as given).
    ///   - environment: the child's whole environment; `nil` inherits the test process's.
    ///   - workingDirectory: where the child starts; `nil` is the test process's.
    ///   - input: standard input (`/dev/null` by default: a child never reads the test runner's terminal).
    ///   - output: standard output (a pipe by default, read through ``output``).
    ///   - errors: standard error (a pipe by default, read through ``errors``; ``Stdio/sameAsOutput`` merges it
    ///     into standard output).
    ///   - newProcessGroup: whether the child leads a process group of its own.
    /// - Throws: ``ChildProcessError`` — `ENOENT` when the executable does not exist or is not on `PATH`,
    ///   `EACCES` when it is not executable, `EINVAL` for ``Stdio/sameAsOutput`` as input or output, or what
    ///   `pipe2` or `posix_spawn` reported.
    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                workingDirectory: String? = nil, input: Stdio = .null, output: Stdio = .pipe, errors: Stdio = .pipe,
                newProcessGroup: Bool = true) throws(ChildProcessError) {
        guard input != .sameAsOutput && output != .sameAsOutput else {
            throw ChildProcessError("Stdio.sameAsOutput is for standard error only", code: EINVAL)
        }
        guard let gnu = Self.gnu else {
            throw ChildProcessError("look up pipe2 and posix_spawn_file_actions_addchdir_np/addclosefrom_np "
                                    + "(glibc 2.34 or later)", code: ENOSYS)
        }
        path = try Self.locate(executable, environment: environment)
        var pipes = Pipes()
        do {
            try pipes.make(for: [input, output, errors], with: gnu.pipe2)
        } catch {
            pipes.closeAll()
            throw error
        }
        let spawned = Self.spawn(path, argv: [executable] + arguments, environment: environment,
                                 workingDirectory: workingDirectory, streams: [input, output, errors],
                                 pipes: pipes, newProcessGroup: newProcessGroup, gnu: gnu)
        pipes.closeChildEnds()
        switch spawned {
        case .success(let spawnedID):
            pid = spawnedID
        case .failure(let error):
            pipes.closeParentEnds()
            throw error
        }
        self.input = Locked(pipes.parent[0])
        self.output = ChildOutput(descriptor: pipes.parent[1], name: "child \(pid) stdout")
        self.errors = ChildOutput(descriptor: pipes.parent[2], name: "child \(pid) stderr")
        let state = self.state
        let reaped = pid
        let reaper = Thread { Self.reap(reaped, into: state) }
        reaper.name = "child \(reaped) reaper"
        reaper.start()
    }

    deinit {
        closeInput()
    }

    /// Whether the child has not been reaped yet. Any thread, without waiting.
    public var isRunning: Bool { state.withLock { $0.termination == nil } }

    /// How the child ended, or `nil` while it runs. Any thread, without waiting.
    public var termination: Termination? { state.withLock { $0.termination } }

    /// Waits until the child has exited and been reaped; returns how it ended. The wait is the reaper
    /// thread's: the caller's thread is not blocked.
    /// - Throws: `CancellationError` when the task is cancelled first (the child is left running).
    @discardableResult
    public func waitUntilExit() async throws -> Termination {
        let id = allocate()
        let termination: Termination? = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                enqueue(id) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            cancel(id)
        }
        guard let termination else { throw CancellationError() }
        return termination
    }

    /// Waits for standard output and standard error to end and for the exit; returns how it ended and the
    /// text of both (empty for a stream that is not a pipe).
    /// - Throws: `CancellationError` when the task is cancelled first.
    public func finish() async throws -> (termination: Termination, output: String, errors: String) {
        let printed = try await output.text()
        let complaints = try await errors.text()
        return (try await waitUntilExit(), printed, complaints)
    }

    /// Sends `number` to the child unless it has been reaped; whether it was sent. Any thread.
    @discardableResult
    public func signal(_ number: Int32) -> Bool {
        state.withLock { $0.termination == nil && Glibc.kill(pid, number) == 0 }
    }

    /// Sends `SIGTERM` (see ``signal(_:)``).
    @discardableResult
    public func terminate() -> Bool { signal(SIGTERM) }

    /// Sends `SIGINT` (see ``signal(_:)``).
    @discardableResult
    public func interrupt() -> Bool { signal(SIGINT) }

    /// Sends `SIGKILL` (see ``signal(_:)``).
    @discardableResult
    public func kill() -> Bool { signal(SIGKILL) }

    /// Writes all of `bytes` to the child's standard input (a ``Stdio/pipe``), on a thread of its own, which
    /// blocks while the pipe is full. `SIGPIPE` is blocked on that thread: a child that has closed its input
    /// makes the write throw `EPIPE`. Not cancellable; do not call ``closeInput()`` while a write is under way.
    /// - Throws: ``ChildProcessError``: `EBADF` when standard input is not a pipe or is closed, or what
    ///   `write` reported.
    public func write(_ bytes: [UInt8]) async throws(ChildProcessError) {
        let descriptor = input.withLock { $0 }
        let operation = "write to the standard input of child \(pid)"
        guard descriptor >= 0 else { throw ChildProcessError(operation, code: EBADF) }
        let failure = await offloaded { () -> Int32 in
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes {
                    Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written)
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += count
            }
            return 0
        }
        if failure != 0 { throw ChildProcessError(operation, code: failure) }
    }

    /// Closes the child's standard input (its end-of-file), if it is a pipe still open. Any thread.
    public func closeInput() {
        input.withLock { descriptor in
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }

    /// ``waitUntilExit()`` for synchronous callers: blocks the calling thread (never call it on the
    /// cooperative pool, except where blocking is already the contract, as in ``TLSFixtures/directory``).
    func waitUntilExitBlocking() -> Termination {
        let done = DispatchSemaphore(value: 0)
        let result = Locked(Termination.unknown)
        enqueue(allocate()) { termination in
            if let termination { result.withLock { $0 = termination } }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }

    // MARK: - Waiting

    private func allocate() -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            state.pending.insert(state.nextID)
            return state.nextID
        }
    }

    private func enqueue(_ id: UInt64, _ deliver: @escaping Deliver) {
        let ready = state.withLock { state -> Termination?? in
            state.pending.remove(id)
            if state.cancelled.remove(id) != nil { return .some(nil) }
            if let termination = state.termination { return .some(termination) }
            state.waiters[id] = deliver
            return .none
        }
        if case .some(let termination) = ready { deliver(termination) }
    }

    private func cancel(_ id: UInt64) {
        let deliver = state.withLock { state -> Deliver? in
            if let deliver = state.waiters.removeValue(forKey: id) { return deliver }
            if state.pending.contains(id) { state.cancelled.insert(id) }
            return nil
        }
        deliver?(nil)
    }

    /// Waits for `pid` to exit without reaping it (`WNOWAIT`), then reaps it under the lock the signal methods
    /// take, and wakes the waiters. Runs on the child's reaper thread, which it blocks.
    private static func reap(_ pid: pid_t, into state: Locked<State>) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        let (termination, waiters) = state.withLock { state -> (Termination, [Deliver]) in
            var status: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(pid, &status, 0) } while reaped < 0 && errno == EINTR
            let termination = reaped == pid ? Termination(waitStatus: status) : .unknown
            state.termination = termination
            defer { state.waiters = [:] }
            return (termination, Array(state.waiters.values))
        }
        for deliver in waiters { deliver(termination) }
    }

    // MARK: - Spawning

    /// The path `executable` names: itself when it has a `/`, else the first executable regular file of that
    /// name in a `PATH` directory (an empty entry is the current directory).
    private static func locate(_ executable: String, environment: [String: String]?) throws(ChildProcessError)
        -> String {
        if executable.contains("/") { return executable }
        let searchPath = environment.map { $0["PATH"] ?? "" }
            ?? (getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin")
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + executable
            var information = stat()
            if stat(candidate, &information) == 0, information.st_mode & S_IFMT == S_IFREG,
               access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw ChildProcessError("find '\(executable)' on PATH (\(searchPath))", code: ENOENT)
    }

    /// The pipes for the streams that are ``Stdio/pipe``: per stream 0, 1, 2 the child's end and the
    /// parent's end (-1 for none).
    private struct Pipes {
        var child: [Int32] = [-1, -1, -1]
        var parent: [Int32] = [-1, -1, -1]

        /// Makes a close-on-exec pipe for each stream that is a pipe (the child's end is dup'ed onto 0, 1 or 2,
        /// which clears the flag there only).
        mutating func make(for streams: [Stdio], with pipe2: MakePipe) throws(ChildProcessError) {
            for (stream, mode) in streams.enumerated() where mode == .pipe {
                var ends: [Int32] = [-1, -1]
                guard pipe2(&ends, O_CLOEXEC) == 0 else { throw ChildProcessError("pipe2", code: errno) }
                // ends[0] reads, ends[1] writes: the child reads its standard input and writes the others.
                (child[stream], parent[stream]) = stream == 0 ? (ends[0], ends[1]) : (ends[1], ends[0])
            }
        }

        func closeChildEnds() {
            for descriptor in child where descriptor >= 0 { close(descriptor) }
        }

        func closeParentEnds() {
            for descriptor in parent where descriptor >= 0 { close(descriptor) }
        }

        func closeAll() {
            closeChildEnds()
            closeParentEnds()
        }
    }

    private typealias MakePipe = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>,
                                                 UnsafePointer<CChar>) -> Int32
    private typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `pipe2`, `posix_spawn_file_actions_addchdir_np` (2.29) and `…_addclosefrom_np` (2.34): declared
    /// only under `_GNU_SOURCE`, which the Glibc module is not built with, so they are looked up by name.
    private static let gnu: (pipe2: MakePipe, chdir: AddChdir, closefrom: AddClosefrom)? = {
        let program = dlopen(nil, RTLD_NOW)
        guard let pipe2 = dlsym(program, "pipe2"),
              let chdir = dlsym(program, "posix_spawn_file_actions_addchdir_np"),
              let closefrom = dlsym(program, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return (unsafeBitCast(pipe2, to: MakePipe.self), unsafeBitCast(chdir, to: AddChdir.self),
                unsafeBitCast(closefrom, to: AddClosefrom.self))
    }()

    /// Spawns `path` with the file actions and attributes described in the type's documentation.
    private static func spawn(_ path: String, argv: [String], environment: [String: String]?,
                              workingDirectory: String?, streams: [Stdio], pipes: Pipes,
                              newProcessGroup: Bool,
                              gnu: (pipe2: MakePipe, chdir: AddChdir, closefrom: AddClosefrom))
        -> Result<pid_t, ChildProcessError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let workingDirectory {
            let status = gnu.chdir(&actions, workingDirectory)
            if status != 0 { return .failure(ChildProcessError("chdir action for \(workingDirectory)", code: status)) }
        }
        for (stream, mode) in streams.enumerated() {
            let target = Int32(stream)
            switch mode {
            case .inherit:
                break
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", stream == 0 ? O_RDONLY : O_WRONLY, 0)
            case .pipe:
                posix_spawn_file_actions_adddup2(&actions, pipes.child[stream], target)
            case .sameAsOutput:
                posix_spawn_file_actions_adddup2(&actions, 1, target)
            }
        }
        _ = gnu.closefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let arguments = argv.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        let variables = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for variable in variables ?? [] { free(variable) } }
        var pid: pid_t = 0
        let status = arguments.withUnsafeBufferPointer { argv in
            if let variables {
                return variables.withUnsafeBufferPointer { envp in
                    posix_spawn(&pid, path, &actions, &attributes, argv.baseAddress!, envp.baseAddress!)
                }
            }
            return posix_spawn(&pid, path, &actions, &attributes, argv.baseAddress!, environ)
        }
        guard status == 0 else { return .failure(ChildProcessError("spawn \(path)", code: status)) }
        return .success(pid)
    }
}
