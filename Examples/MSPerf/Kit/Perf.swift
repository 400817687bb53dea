import Foundation
import MultiSocket
import MultiSocketProtocols

/// Runs `msperf` measurements with the method of libzmq's perf tools (and of the C peers in
/// `../shared/bench/peers`), so the figures compare line by line:
///
/// - latency: the client sends a `size`-byte message and waits for its echo, `roundtrips` times after an
///   untimed warm-up of a tenth of that (at most 1000); one-way latency is the time over `2 × roundtrips`;
/// - throughput: the sender sends an empty sync message, then `count` messages; the receiver starts its
///   clock when the sync message arrives and stops it at the `count`-th message.
///
/// Only the measuring side prints: `remote_lat`/`remote_reqlat` (and `inproc_lat`) print latency,
/// `local_thr` (and `inproc_thr`) prints throughput.
public enum Perf {
    /// Runs `request`, passing each output line to `output`. A listening side reports its bound address
    /// (with the real port for `tcp://…:0`) to `listening`.
    ///
    /// Cancellation closes the sockets and throws `CancellationError`.
    /// - Throws: ``PerfError`` when a message of the wrong size arrives; ``MultiSocketError`` from the sockets
    ///   (bad address, refused connection, closed).
    public static func run(_ request: PerfRequest, listening bound: @Sendable (Address) -> Void = { _ in },
                           output: @escaping @Sendable (String) -> Void) async throws {
        let size = request.size
        let count = request.count
        let address = request.address
        func listening(_ socket: Socket, _ address: String) throws -> Socket {
            bound(try socket.listen(address))
            return socket
        }
        func listening(_ rep: Rep, _ address: String) throws -> Rep {
            bound(try rep.listen(address))
            return rep
        }
        switch request.mode {
        case .localLat:
            try await echo(try listening(Socket(), address), size: size, roundtrips: count)
        case .remoteLat:
            output(latencyReport(size: size, roundtrips: count, elapsed: try await echoClient(address, size, count)))
        case .localReqLat:
            try await replies(try listening(Rep(), address), size: size, roundtrips: count)
        case .remoteReqLat:
            output(latencyReport(size: size, roundtrips: count, elapsed: try await reqClient(address, size, count)))
        case .localThr:
            let socket = try listening(receiver(request.pattern), address)
            output(throughputReport(size: size, count: count, elapsed: try await receive(socket, size, count)))
        case .remoteThr:
            try await sendMessages(address, size: size, count: count, pattern: request.pattern)
        case .inprocLat:
            let server = try listening(Socket(), address)
            let elapsed = try await together {
                try await echo(server, size: size, roundtrips: count)
            } measuring: {
                try await echoClient(address, size, count)
            }
            output(latencyReport(size: size, roundtrips: count, elapsed: elapsed))
        case .inprocReqLat:
            let server = try listening(Rep(), address)
            let elapsed = try await together {
                try await replies(server, size: size, roundtrips: count)
            } measuring: {
                try await reqClient(address, size, count)
            }
            output(latencyReport(size: size, roundtrips: count, elapsed: elapsed))
        case .inprocThr:
            let socket = try listening(receiver(request.pattern), address)
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

    static func warmup(_ roundtrips: Int) -> Int { min(roundtrips / 10, 1000) }

    private static func echo(_ socket: Socket, size: Int, roundtrips: Int) async throws {
        try await closing(socket) {
            for _ in 0..<(warmup(roundtrips) + roundtrips) {
                let message = try await socket.receive()
                try check(message.content.count, size)
                try await socket.sendTo(message.source, message.content)
            }
        }
    }

    private static func echoClient(_ address: String, _ size: Int, _ roundtrips: Int) async throws -> Duration {
        let socket = Socket()
        return try await closing(socket) {
            try await socket.dial(address)
            let content = [UInt8](repeating: 0x78, count: size)
            let clock = ContinuousClock()
            var start = clock.now
            for round in 0..<(warmup(roundtrips) + roundtrips) {
                if round == warmup(roundtrips) { start = clock.now }
                try await socket.send(content)
                try check(try await socket.receive().content.count, size)
            }
            return clock.now - start
        }
    }

    private static func replies(_ rep: Rep, size: Int, roundtrips: Int) async throws {
        try await closing(rep.socket) {
            for _ in 0..<(warmup(roundtrips) + roundtrips) {
                let request = try await rep.receive()
                try check(request.body.count, size)
                try await rep.reply(to: request, request.body)
            }
        }
    }

    private static func reqClient(_ address: String, _ size: Int, _ roundtrips: Int) async throws -> Duration {
        let req = Req()
        return try await closing(req.socket) {
            try await req.dial(address)
            let content = [UInt8](repeating: 0x78, count: size)
            let clock = ContinuousClock()
            var start = clock.now
            for round in 0..<(warmup(roundtrips) + roundtrips) {
                if round == warmup(roundtrips) { start = clock.now }
                try check(try await req.request(content, timeout: .seconds(30)).count, size)
            }
            return clock.now - start
        }
    }

    // MARK: Throughput

    private static func receiver(_ pattern: PerfPattern) -> Socket {
        pattern == .pushpull ? Pull().socket : Socket(sender: .none, receiver: .all)
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
        let socket = pattern == .pushpull ? Push().socket : Socket(sender: .toOne, receiver: .none)
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
    private static func closing<T: Sendable>(_ socket: Socket, _ body: () async throws -> T) async throws -> T {
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


    private static func check(_ received: Int, _ size: Int) throws(PerfError) {
        guard received == size else { throw PerfError("message of \(received) bytes, expected \(size)") }
    }

    // MARK: Reports

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    static func latencyReport(size: Int, roundtrips: Int, elapsed: Duration) -> String {
        let total = seconds(elapsed)
        return """
            message size: \(size) [B]
            roundtrip count: \(roundtrips)
            average latency: \(String(format: "%.3f", total * 1e6 / Double(2 * roundtrips))) [us]
            total time: \(String(format: "%.3f", total)) [s]
            """
    }

    static func throughputReport(size: Int, count: Int, elapsed: Duration) -> String {
        let total = max(seconds(elapsed), 1e-9)
        let rate = Double(count) / total
        return """
            message size: \(size) [B]
            message count: \(count)
            mean throughput: \(Int(rate)) [msg/s]
            mean throughput: \(String(format: "%.3f", rate * Double(size) * 8 / 1e6)) [Mb/s]
            total time: \(String(format: "%.3f", total)) [s]
            """
    }
}
