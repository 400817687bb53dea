import Foundation
import Glibc
import MultiSocket
import Synchronization

// Helpers for the test suites: deadlines, event waits, random content and a plain blocking TCP client
// for feeding malformed bytes to a socket.

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

/// Waits on socket events instead of sleeping.
public enum Await {
    /// Returns once `condition` holds for `socket`'s statistics, re-checking after each event the socket
    /// reports. Throws ``TimeoutError`` after `timeout` seconds (the condition must change together with an
    /// event: pipes, rejected frames, drops).
    public static func statistics(
        _ socket: Socket,
        _ what: String,
        timeout: Double = 20,
        _ condition: @escaping @Sendable (SocketStatistics) -> Bool
    ) async throws {
        let events = socket.events()
        if condition(socket.statistics) { return }
        try await withTimeout(timeout, what) {
            for await _ in events where condition(socket.statistics) { return }
            if !condition(socket.statistics) { throw TimeoutError(what: "\(what) (event stream ended)", seconds: 0) }
        }
    }

    /// Returns the first event in `events` for which `match` returns a value. Throws ``TimeoutError``
    /// after `timeout` seconds or if the stream ends first.
    public static func event<T: Sendable>(
        _ events: AsyncStream<SocketEvent>,
        _ what: String,
        timeout: Double = 20,
        _ match: @escaping @Sendable (SocketEvent) -> T?
    ) async throws -> T {
        try await withTimeout(timeout, what) {
            for await event in events {
                if let found = match(event) { return found }
            }
            throw TimeoutError(what: "\(what) (event stream ended)", seconds: 0)
        }
    }

    /// Counts events in `events` matching `match` until there are `count` of them.
    public static func events(
        _ events: AsyncStream<SocketEvent>,
        count: Int,
        _ what: String,
        timeout: Double = 20,
        _ match: @escaping @Sendable (SocketEvent) -> Bool
    ) async throws {
        guard count > 0 else { return }
        try await withTimeout(timeout, what) {
            var seen = 0
            for await event in events where match(event) {
                seen += 1
                if seen >= count { return }
            }
            throw TimeoutError(what: "\(what) (event stream ended after \(seen))", seconds: 0)
        }
    }
}

/// A fast deterministic-per-seed generator (SplitMix64), so debug builds make random content quickly.
public struct FastRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Seeds from the system generator unless a seed is given.
    public init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                var word = next()
                for _ in 0..<min(8, count - index) {
                    buffer[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
            initialized = count
        }
    }
}

/// Whether two byte arrays are equal, compared with `memcmp` (fast in debug builds).
public func sameBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    if lhs.isEmpty { return true }
    return lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
}

/// `count` bytes of `pool` from `offset`, copied with `memcpy`, with `stamp` written big-endian into the
/// first four bytes when there is room.
public func slice(of pool: [UInt8], offset: Int, count: Int, stamp: UInt32? = nil) -> [UInt8] {
    precondition(offset + count <= pool.count)
    // An empty result must not go through `unsafeUninitializedCapacity`: with capacity 0 it writes the
    // shared empty-array storage, which the thread sanitizer reports as a race between tests.
    guard count > 0 else { return [] }
    var bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        pool.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
        }
        initialized = count
    }
    if let stamp, count >= 4 {
        bytes[0] = UInt8(truncatingIfNeeded: stamp >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: stamp >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: stamp >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: stamp)
    }
    return bytes
}

/// The big-endian `UInt32` in the first four bytes of `bytes`.
public func stamp(of bytes: [UInt8]) -> UInt32? {
    guard bytes.count >= 4 else { return nil }
    return UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
}

/// The four big-endian bytes of `value`.
public func bigEndianBytes(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
     UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

/// The port of a bound tcp or ws address.
public func port(of address: Address) -> UInt16? {
    switch address {
    case .tcp(_, let port), .ws(_, let port, _): return port
    default: return nil
    }
}

/// Runs blocking work on a thread of its own. Not on Dispatch's global queue: on Linux that queue's threads
/// also run the cooperative pool, so a few blocked readers could starve the very tasks they wait for.
public func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

private func loopback(_ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

/// `chunk` repeated `count` times, back to back (a flood of identical frames).
public func repeated(_ chunk: [UInt8], count: Int) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(chunk.count * count)
    for _ in 0..<count { bytes.append(contentsOf: chunk) }
    return bytes
}

/// A plain blocking stream client (tcp on loopback, or ipc), for sending hand-made (often malformed)
/// bytes and for playing a raw peer. Reads run on a thread of their own, keeping the cooperative pool free.
public final class PlainClient: Sendable {
    /// How a read ended.
    public enum ReadEnd: Sendable, Equatable {
        /// The peer closed the connection (EOF or reset); `bytes` arrived before.
        case closed(bytes: Int)
        /// Nothing ended the connection within the receive timeout.
        case timedOut(bytes: Int)
        /// Another error.
        case failed(errno: Int32)

        /// Whether the connection was closed by the peer.
        public var isClosed: Bool {
            if case .closed = self { return true }
            return false
        }
    }

    private let fd: Int32
    private let open = Atomic(true)

    /// Connects to a tcp or ws (loopback) or ipc address. `timeout` bounds each blocking read.
    public convenience init(_ address: Address, timeout seconds: Int = 10) throws {
        switch address {
        case .tcp(_, let port), .ws(_, let port, _): try self.init(port: port, timeout: seconds)
        case .ipc(let path): try self.init(path: path, timeout: seconds)
        case .inproc: throw MultiSocketError(.badAddress, "a plain client needs tcp or ipc")
        }
    }

    /// Connects to the Unix-domain socket at `path`.
    public init(path: String, timeout seconds: Int = 10) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var target = sockaddr_un()
        target.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &target.sun_path) { $0.copyBytes(from: path.utf8) }
        let status = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            Glibc.close(fd)
            throw MultiSocketError(.connectionRefused, "connect to ipc://\(path)")
        }
    }

    /// Wraps a connection accepted by a ``PlainListener``.
    fileprivate init(accepted: Int32, timeout seconds: Int) {
        fd = accepted
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Connects to 127.0.0.1:`port`. `timeout` bounds each blocking read.
    public init(port: UInt16, timeout seconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MultiSocketError(.systemError, "socket: \(errno)") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let error = errno
            Glibc.close(fd)
            throw MultiSocketError(.connectionRefused, "connect to port \(port): errno \(error)")
        }
    }

    deinit { close() }

    /// Writes all of `bytes` (blocking).
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw MultiSocketError(.systemError, "write: errno \(errno)")
            }
            offset += written
        }
    }

    /// Reads until the peer closes the connection or the receive timeout passes, on a thread of its own.
    public func readUntilClosed() async -> ReadEnd {
        let fd = self.fd
        return await offloaded {
            var total = 0
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if count > 0 {
                    total += count
                    continue
                }
                if count == 0 { return .closed(bytes: total) }
                let error = errno
                if error == EINTR { continue }
                if error == ECONNRESET { return .closed(bytes: total) }
                if error == EAGAIN || error == EWOULDBLOCK { return .timedOut(bytes: total) }
                return .failed(errno: error)
            }
        }
    }

    /// Reads exactly `count` bytes (fewer if the connection ends or the receive timeout passes first).
    public func read(count: Int) async -> [UInt8] {
        let fd = self.fd
        return await offloaded {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
                if got > 0 {
                    filled += got
                } else if got < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            return Array(bytes.prefix(filled))
        }
    }

    /// Reads up to and including the blank line that ends an HTTP header (or until the connection ends, the
    /// receive timeout passes, or `limit` bytes arrived), one byte at a time so nothing after it is taken.
    public func readHeader(limit: Int = 16 * 1024) async -> [UInt8] {
        let fd = self.fd
        return await offloaded {
            var bytes: [UInt8] = []
            var byte: UInt8 = 0
            while bytes.count < limit && !(bytes.count >= 4 && bytes.suffix(4) == [13, 10, 13, 10]) {
                let got = Glibc.read(fd, &byte, 1)
                if got == 1 {
                    bytes.append(byte)
                } else if got < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            return bytes
        }
    }

    /// Writes what the kernel takes now of `bytes[offset...]` (at most `limit` bytes) without blocking, as a
    /// writer on a non-blocking socket does; returns the bytes taken, 0 when the socket buffer is full, -1 when
    /// the connection failed.
    public func writeAvailable(_ bytes: [UInt8], from offset: Int = 0, upTo limit: Int = .max) -> Int {
        while true {
            let written = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, min($0.count - offset, limit),
                           Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written >= 0 { return written }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1
        }
    }

    /// Waits up to `milliseconds` for the socket to take more bytes; returns whether it will.
    public func waitWritable(milliseconds: Int32) async -> Bool {
        let fd = self.fd
        return await offloaded {
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            return poll(&entry, 1, milliseconds) == 1 && entry.revents & Int16(POLLOUT) != 0
        }
    }

    /// How a ``flood(_:segment:stall:)`` ended.
    public enum FloodEnd: Sendable, Equatable {
        /// Everything was written.
        case complete
        /// The peer took nothing for the stall time.
        case stalled
        /// The connection failed (the peer closed or reset it).
        case failed
    }

    /// Writes `bytes` as fast as a non-blocking writer can, at most `segment` bytes per system call (small
    /// segments make a readiness event on the peer for each), until everything is written, the peer has
    /// taken nothing for `stall` milliseconds, or the connection fails. Returns the bytes written and why it
    /// stopped.
    public func flood(_ bytes: [UInt8], segment: Int = 1 << 20,
                      stall: Int32 = 300) async -> (written: Int, end: FloodEnd) {
        var offset = 0
        while offset < bytes.count {
            let written = writeAvailable(bytes, from: offset, upTo: segment)
            if written < 0 { return (offset, .failed) }
            offset += written
            if written == 0, !(await waitWritable(milliseconds: stall)) { return (offset, .stalled) }
        }
        return (offset, .complete)
    }

    /// Closes the connection with a reset (`SO_LINGER` 0), as a peer that crashed or left data unread does.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Half-closes: the peer sees end of stream; reading still works.
    public func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the connection; idempotent.
    public func close() {
        if open.exchange(false, ordering: .acquiringAndReleasing) { Glibc.close(fd) }
    }
}

/// A loopback TCP port that is bound but not listening: connecting to it is refused, and no other test
/// can take it while this value lives.
public final class RefusingTCPPort: Sendable {
    /// The port.
    public let port: UInt16
    private let fd: Int32

    /// Binds a fresh port.
    public init() throws {
        (fd, port) = try boundLoopbackSocket(listening: false)
    }

    deinit { Glibc.close(fd) }
}

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

/// A plain blocking TCP listener on loopback, for playing a hand-written (often misbehaving) server.
public final class PlainListener: Sendable {
    /// The port it listens on.
    public let port: UInt16
    private let fd: Int32

    /// Listens on a fresh loopback port. `timeout` bounds each blocking accept (a safety net: a sanitized run
    /// of the whole suite can keep a dialing task from starting for several seconds).
    public init(timeout seconds: Int = runningUnderSanitizer ? 30 : 10) throws {
        (fd, port) = try boundLoopbackSocket(listening: true) { socketFD in
            var timeout = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    deinit { Glibc.close(fd) }

    /// Accepts one connection, on a thread of its own. `timeout` bounds each blocking read on it.
    public func accept(timeout seconds: Int = runningUnderSanitizer ? 30 : 10) async throws -> PlainClient {
        let fd = self.fd
        let accepted = await offloaded { () -> Int32 in
            while true {
                let connection = Glibc.accept(fd, nil, nil)
                if connection < 0 && errno == EINTR { continue }
                return connection
            }
        }
        guard accepted >= 0 else { throw MultiSocketError(.timedOut, "nobody connected to port \(port)") }
        return PlainClient(accepted: accepted, timeout: seconds)
    }
}

/// A TCP socket bound to a fresh loopback port (and listening, with `listening`), configured by `configure`
/// before binding. Returns the descriptor and the port.
private func boundLoopbackSocket(listening: Bool, configure: (Int32) -> Void = { _ in }) throws -> (Int32, UInt16) {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw MultiSocketError(.systemError, "socket") }
    configure(socketFD)
    var address = loopback(0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0, !listening || listen(socketFD, 16) == 0 else {
        Glibc.close(socketFD)
        throw MultiSocketError(.systemError, listening ? "bind or listen" : "bind")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
    }
    return (socketFD, UInt16(bigEndian: address.sin_port))
}
