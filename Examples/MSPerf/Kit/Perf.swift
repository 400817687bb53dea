import Glibc
import MultiSocket
import MultiSocketProtocols

/// Runs `msperf` measurements with the method of libzmq's perf tools (and of the C peers in
/// `../shared/bench/peers`), so the figures compare line by line:
///
/// - latency: the client sends a `size`-byte message and waits for its echo, exactly `roundtrips` times, as
///   the stock `remote_lat` does; the first tenth of them (at most 1000) is an untimed warm-up, and one-way
///   latency is the time of the others over twice their number. The echo server answers until its peers
///   leave, so either side pairs with a stock tool that exchanges exactly `roundtrips` messages and exits;
/// - throughput: the sender sends an empty sync message, then `count` messages; the receiver starts its
///   clock when the sync message arrives and stops it at the `count`-th message;
/// - many connections: one process opens `connections` ``Req`` sockets, each its own connection to one ``Rep``
///   server, and keeps one request in flight on each until `count` requests have been answered in all.
///
/// `local_lat` and `remote_lat` also speak the stock tools' own wire (``PeerWire``: `nng+tcp://`, `zmq+tcp://`),
/// so they pair with NNG's and ZeroMQ's `local_lat`/`remote_lat` over req/rep.
///
/// Only the measuring side prints: `remote_lat`/`remote_reqlat` (and `inproc_lat`) print latency,
/// `local_thr` (and `inproc_thr`) prints throughput, `remote_many` prints requests per second.
public enum Perf {
    /// Runs `request`, passing each output line to `output`. A listening side reports its bound address
    /// (with the real port for `tcp://…:0`) to `listening`.
    ///
    /// Runs on the caller's executor; the measuring loops run on the sockets' I/O threads (see
    /// `MSPERF_EXECUTOR`). Cancellation closes the sockets and throws `CancellationError`.
    /// - Throws: ``PerfError`` when a message of the wrong size arrives; ``MultiSocketError`` from the sockets
    ///   (bad address, refused connection, closed, a request timed out).
    public static func run(_ request: PerfRequest, listening bound: @Sendable (Address) -> Void = { _ in },
                           output: @escaping @Sendable (String) -> Void) async throws {
        let size = request.size
        let count = request.count
        let address = request.address
        if let peer = PeerWire.split(address) {
            if request.mode == .localLat {
                try await peerEchoServer(peer.wire, peer.address, bound)
            } else {
                let elapsed = try await peerEchoClient(peer.wire, peer.address, size, count)
                output(latencyReport(size: size, roundtrips: count, elapsed: elapsed))
            }
            return
        }
        try await $tls.withValue(request.tls) {
            if request.mode.isInproc {
                // Both ends live in this process and exchange messages without any I/O: on one thread, as an
                // in-process pipeline that cares for latency would be set up, they hand over without a thread
                // hop.
                return try await $reactors.withValue(inprocReactors) {
                    try await runMode(request, listening: bound, output: output)
                }
            }
            try await runMode(request, listening: bound, output: output)
        }
    }

    /// The run's ``PerfRequest/tls``, given to every socket it makes (``socketOptions``).
    @TaskLocal static var tls: TLSConfiguration?

    /// The I/O threads of the sockets a run makes: the default group, or ``inprocReactors`` for the
    /// in-process modes.
    @TaskLocal static var reactors = ReactorGroup.default

    /// One I/O thread for both ends of an in-process run. With homes spread over the default group, two
    /// sockets of one process sit on different threads and each message costs a thread hop (inproc_lat
    /// 64 B: about 4 µs instead of 1 µs here).
    static let inprocReactors = ReactorGroup(threads: 1, name: "msperf-inproc")

    /// Socket options with the run's ``reactors`` and ``tls``.
    static var socketOptions: SocketOptions {
        var options = SocketOptions()
        options.reactorGroup = reactors
        options.connector.endpoint.tls = tls
        return options
    }

    private static func runMode(_ request: PerfRequest, listening bound: @Sendable (Address) -> Void,
                                output: @escaping @Sendable (String) -> Void) async throws {
        let size = request.size
        let count = request.count
        let address = request.address
        switch request.mode {
        case .localLat:
            let socket = Socket(options: socketOptions)
            try await serve(socket, peers: try listen(socket, address, bound)) {
                try await echo(socket, size)
            }
        case .remoteLat:
            output(latencyReport(size: size, roundtrips: count, elapsed: try await echoClient(address, size, count)))
        case .localReqLat:
            let rep = Rep(options: socketOptions)
            try await serve(rep.socket, peers: try listen(rep.socket, address, bound)) {
                try await reply(rep, size)
            }
        case .localMany:
            // One answering loop per I/O thread, each on its thread: a server for many peers uses every
            // reactor of its group, not only its socket's home.
            let rep = Rep(options: socketOptions)
            try await serve(rep.socket, peers: try listen(rep.socket, address, bound),
                            loopsOn: reactors.reactors) {
                try await reply(rep, size)
            }
        case .remoteReqLat:
            output(latencyReport(size: size, roundtrips: count, elapsed: try await reqClient(address, size, count)))
        case .remoteMany:
            let result = try await manyClients(address, size: size, requests: count,
                                               connections: request.connections)
            output(manyReport(size: size, connections: request.connections, result: result))
        case .localThr:
            let socket = receiver(request.pattern)
            bound(try socket.listen(address))
            output(throughputReport(size: size, count: count, elapsed: try await receive(socket, size, count)))
        case .remoteThr:
            try await sendMessages(address, size: size, count: count, pattern: request.pattern)
        case .inprocLat:
            let server = Socket(options: socketOptions)
            let peers = try listen(server, address, bound)
            let elapsed = try await together {
                try await serve(server, peers: peers) { try await echo(server, size) }
            } measuring: {
                try await echoClient(address, size, count)
            }
            output(latencyReport(size: size, roundtrips: count, elapsed: elapsed))
        case .inprocReqLat:
            let server = Rep(options: socketOptions)
            let peers = try listen(server.socket, address, bound)
            let elapsed = try await together {
                try await serve(server.socket, peers: peers) { try await reply(server, size) }
            } measuring: {
                try await reqClient(address, size, count)
            }
            output(latencyReport(size: size, roundtrips: count, elapsed: elapsed))
        case .inprocThr:
            let socket = receiver(request.pattern)
            bound(try socket.listen(address))
            let elapsed = try await together {
                try await sendMessages(address, size: size, count: count, pattern: request.pattern)
            } measuring: {
                try await receive(socket, size, count)
            }
            output(throughputReport(size: size, count: count, elapsed: elapsed))
        }
    }

    // MARK: Latency

    /// Whether the measuring loops run on the I/O thread (`socket.executor`); `MSPERF_EXECUTOR=pool` runs them
    /// on the global concurrent executor instead, to compare.
    static let onIOThread = getenv("MSPERF_EXECUTOR").map { String(cString: $0) } != "pool"

    /// The untimed round trips at the start of `roundtrips`: a tenth, at most 1000 (the peer kit's warm-up,
    /// counted in `roundtrips` instead of added to them).
    static func warmup(_ roundtrips: Int) -> Int { min(roundtrips / 10, 1000) }

    /// Receives one message and sends it back to its source.
    private static func echo(_ socket: Socket, _ size: Int) async throws {
        let message = try await socket.receive()
        try check(message.content.count, size)
        try await socket.sendTo(message.source, message.content)
    }

    /// Receives one request and answers it with its body.
    private static func reply(_ rep: Rep, _ size: Int) async throws {
        let request = try await rep.receive()
        try check(request.body.count, size)
        try await rep.reply(to: request, request.body)
    }

    private static func echoClient(_ address: String, _ size: Int, _ roundtrips: Int) async throws -> Duration {
        let socket = Socket(options: socketOptions)
        return try await closing(socket) {
            try await socket.dial(address)
            let content = [UInt8](repeating: 0x78, count: size)
            return try await timed(roundtrips) {
                try await socket.send(content)
                try check(try await socket.receive().content.count, size)
            }
        }
    }

    private static func reqClient(_ address: String, _ size: Int, _ roundtrips: Int) async throws -> Duration {
        let req = Req(options: socketOptions)
        return try await closing(req.socket) {
            try await req.dial(address)
            let content = [UInt8](repeating: 0x78, count: size)
            return try await timed(roundtrips) {
                try check(try await req.request(content, timeout: .seconds(30)).count, size)
            }
        }
    }

    /// Runs `roundTrip` exactly `roundtrips` times and returns the time of all but the warm-up.
    static func timed(_ roundtrips: Int, _ roundTrip: () async throws -> Void) async throws -> Duration {
        let clock = ContinuousClock()
        var start = clock.now
        for round in 0..<roundtrips {
            if round == warmup(roundtrips) { start = clock.now }
            try await roundTrip()
        }
        return clock.now - start
    }

    // MARK: Throughput

    private static func receiver(_ pattern: PerfPattern) -> Socket {
        pattern == .pushpull ? Pull(options: socketOptions).socket
            : Socket(sender: .none, receiver: .all, options: socketOptions)
    }

    private static func receive(_ socket: Socket, _ size: Int, _ count: Int) async throws -> Duration {
        try await closing(socket) {
            _ = try await socket.receive()
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<count {
                try check(try await socket.receive().content.count, size)
            }
            return clock.now - start
        }
    }

    private static func sendMessages(_ address: String, size: Int, count: Int, pattern: PerfPattern) async throws {
        let socket = pattern == .pushpull ? Push(options: socketOptions).socket
            : Socket(sender: .toOne, receiver: .none, options: socketOptions)
        try await closing(socket) {
            try await socket.dial(address)
            try await socket.send([])
            var content = [UInt8](repeating: 0, count: size)
            for index in 0..<min(size, 64) { content[index] = 0x78 }
            for _ in 0..<count {
                try await socket.send(content)
            }
        }
    }

    // MARK: Helpers

    /// Runs `other` and `measuring` concurrently (both sides of an inproc run) and returns what `measuring`
    /// measured.
    private static func together(
        _ other: @escaping @Sendable () async throws -> Void,
        measuring: @escaping @Sendable () async throws -> Duration
    ) async throws -> Duration {
        try await withThrowingTaskGroup(of: Duration?.self) { group in
            group.addTask {
                try await other()
                return nil
            }
            group.addTask { try await measuring() }
            var figure = Duration.zero
            for try await result in group {
                if let result { figure = result }
            }
            return figure
        }
    }

    /// Runs `body` (on the socket's I/O thread unless `MSPERF_EXECUTOR=pool` is set), then closes `socket`
    /// (lingering until what it queued is sent), also when `body` throws.
    static func closing<T: Sendable>(_ socket: Socket, _ body: () async throws -> T) async throws -> T {
        do {
            let result = onIOThread
                ? try await withTaskExecutorPreference(socket.executor, operation: body)
                : try await body()
            await socket.close()
            return result
        } catch {
            await socket.close()
            throw error
        }
    }

    static func check(_ received: Int, _ size: Int) throws {
        guard received == size else { throw PerfError("message of \(received) bytes, expected \(size)") }
    }
}
