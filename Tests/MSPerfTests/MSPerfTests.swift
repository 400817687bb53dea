import MultiSocketPerfKit
import MultiSocket
import MultiSocketProtocols
import MultiSocketTestSupport
import Synchronization
import Testing

/// Collects a run's output lines.
private final class Lines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ text: String) { lines.withLock { $0 += text.split(separator: "\n").map(String.init) } }
    var all: [String] { lines.withLock { $0 } }

    /// The number after `label`, e.g. `average latency: 12.5 [us]` → 12.5.
    func value(_ label: String) -> Double? {
        all.first { $0.hasPrefix(label + ": ") }.flatMap { line in
            Double(line.dropFirst(label.count + 2).split(separator: " ").first ?? "")
        }
    }
}

@Suite(.timeLimit(.minutes(3)))
struct MSPerfTests {
    /// Seconds a whole exchange may take: 20, or 120 under a sanitizer, where the suite shares two cores and
    /// every I/O thread with the stress suites (debug code under the thread sanitizer runs many times slower;
    /// one round trip waits behind their jobs on each reactor it crosses).
    static let deadline: Double = runningUnderSanitizer ? 120 : 20

    @Test(arguments: [
        ["local_lat", "tcp://127.0.0.1:5555", "64", "1000"],
        ["remote_thr", "ipc:///tmp/x.sock", "0", "10", "pushpull"],
        ["inproc_thr", "65536", "100"],
        ["inproc_reqlat", "1", "5"],
        ["local_many", "tcp://127.0.0.1:5555", "64", "1000"],
        ["remote_many", "tcp://127.0.0.1:5555", "64", "1000", "16"],
    ])
    func parsesCommandLines(_ arguments: [String]) throws {
        let request = try PerfRequest(arguments: arguments)
        #expect(request.mode.rawValue == arguments[0])
        #expect(request.count == Int(arguments[request.mode.isInproc ? 2 : 3]))
        #expect(request.connections == (arguments.count == 5 && request.mode.isMany ? 16 : 64))
    }

    @Test(arguments: [
        [], ["fly"], ["local_lat"], ["local_lat", "tcp://h:1", "64"], ["inproc_lat", "-1", "10"],
        ["inproc_lat", "64", "0"], ["inproc_lat", "64", "10", "pushpull"], ["local_thr", "tcp://h:1", "8", "9", "tcp"],
        ["remote_thr", "tcp://h:1", "x", "10"], ["local_lat", "tcp://h:1", "64", "10", "4"],
        ["remote_many", "tcp://h:1", "64", "10", "0"], ["remote_many", "tcp://h:1", "64", "10", "pushpull"],
        ["remote_thr", "tcp://h:1", "64", "10", "16"], ["remote_many", "tcp://h:1", "64", "10", "4", "4"],
        ["local_reqlat", "nng+tcp://h:1", "64", "10"], ["local_thr", "zmq+tcp://h:1", "64", "10"],
    ])
    func rejectsBadCommandLines(_ arguments: [String]) {
        #expect(throws: PerfError.self) { try PerfRequest(arguments: arguments) }
    }

    @Test(arguments: ["inproc_lat", "inproc_reqlat"], [0, 64, 70_000])
    func inprocLatencySmoke(_ mode: String, size: Int) async throws {
        let lines = Lines()
        try await Perf.run(PerfRequest(arguments: [mode, "\(size)", "20"]), output: lines.add)
        #expect(lines.value("message size") == Double(size))
        #expect(lines.value("roundtrip count") == 20)
        #expect((lines.value("average latency") ?? 0) > 0)
        #expect(lines.value("total time") != nil)
    }

    @Test(arguments: ["socket", "pushpull"], [0, 64, 70_000])
    func inprocThroughputSmoke(_ pattern: String, size: Int) async throws {
        let lines = Lines()
        try await Perf.run(PerfRequest(arguments: ["inproc_thr", "\(size)", "200", pattern]), output: lines.add)
        #expect(lines.value("message count") == 200)
        #expect((lines.value("mean throughput") ?? 0) > 0)
        #expect(lines.all.contains { $0.hasSuffix("[Mb/s]") })
    }

    @Test(arguments: [ConformanceTransport.ipc, .tcp], [("local_lat", "remote_lat"), ("local_reqlat", "remote_reqlat")])
    func latencySmoke(_ transport: ConformanceTransport, modes: (String, String)) async throws {
        let lines = try await pair(transport, modes, size: 64, count: 50, pattern: nil)
        #expect(lines.value("roundtrip count") == 50)
        #expect((lines.value("average latency") ?? 0) > 0)
    }

    /// The many-connection run: the load generator's figures add up, and the server ends once its clients
    /// have left.
    @Test(arguments: [1, 4])
    func manyConnectionsSmoke(_ connections: Int) async throws {
        let lines = try await pair(.tcp, ("local_many", "remote_many"), size: 64, count: 40,
                                   pattern: "\(connections)")
        #expect(lines.value("connections") == Double(connections))
        #expect(lines.value("request count") == 40)
        #expect((lines.value("mean throughput") ?? 0) > 0)
        let p50 = try #require(lines.value("p50 round-trip latency"))
        let p99 = try #require(lines.value("p99 round-trip latency"))
        #expect(p50 > 0 && p50 <= p99)
    }

    /// `remote_lat` against a stock `local_lat` (here the library standing in for it), which echoes exactly
    /// `roundtrips` messages and stops answering: the warm-up is part of the count, so the run ends.
    @Test(arguments: ["remote_lat", "remote_reqlat"], [1, 30])
    func remoteLatExchangesExactlyRoundtrips(_ mode: String, roundtrips: Int) async throws {
        let server = mode == "remote_lat" ? Socket() : Rep().socket
        let address = try server.listen(ConformanceTransport.tcp.uniqueAddress("perf"))
        let lines = Lines()
        try await withTimeout(Self.deadline, "\(mode) against a server echoing \(roundtrips)") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<roundtrips {
                        let message = try await server.receive()
                        try await server.sendTo(message.source, message.content)
                    }
                }
                try await Perf.run(PerfRequest(arguments: [mode, address.description, "8", "\(roundtrips)"]),
                                   output: lines.add)
                try await group.waitForAll()
            }
        }
        #expect(server.statistics.messagesReceived == roundtrips)
        await server.close()
        #expect(lines.value("roundtrip count") == Double(roundtrips))
        #expect((lines.value("average latency") ?? 0) > 0)
    }

    /// `local_lat` against a stock `remote_lat` (the library standing in for it) that makes more or fewer
    /// round trips than the server's count: the server answers every one and ends when the client leaves.
    @Test(arguments: ["local_lat", "local_reqlat", "local_many"], [3, 25])
    func localLatEchoesUntilPeerLeaves(_ mode: String, roundtrips: Int) async throws {
        try await withTimeout(Self.deadline, "\(mode) with a client making \(roundtrips) round trips") {
            let (bound, boundSink) = AsyncStream.makeStream(of: Address.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { boundSink.finish() }
                    let request = try PerfRequest(arguments: [mode, ConformanceTransport.tcp.uniqueAddress("perf"), "8", "10"])
                    try await Perf.run(request, listening: { boundSink.yield($0) }, output: { _ in })
                }
                var addresses = bound.makeAsyncIterator()
                let address = try #require(await addresses.next())
                let client = mode == "local_lat" ? nil : Req()
                let socket = client?.socket ?? Socket()
                try await socket.dial(address.description)
                for round in 0..<roundtrips {
                    let content = [UInt8](repeating: UInt8(round), count: 8)
                    if let client {
                        #expect(try await client.request(content, timeout: .seconds(10)) == content)
                    } else {
                        try await socket.send(content)
                        #expect(try await socket.receive().content == content)
                    }
                }
                await socket.close()
                try await group.waitForAll()
            }
        }
    }

    /// `local_lat` and `remote_lat` on a stock tool's wire (nng+tcp, zmq+tcp) pair with each other, for sizes
    /// with short and long ZMTP frames; `bench/interop.sh` runs them against NNG's and ZeroMQ's own tools.
    @Test(arguments: ["nng", "zmq"], [0, 64, 300, 70_000])
    func peerWireLatency(_ wire: String, size: Int) async throws {
        let lines = Lines()
        try await withTimeout(Self.deadline, "local_lat/remote_lat over \(wire)+tcp, \(size) B") {
            let (bound, boundSink) = AsyncStream.makeStream(of: Address.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { boundSink.finish() }
                    let local = try PerfRequest(arguments: ["local_lat", "\(wire)+tcp://127.0.0.1:0", "\(size)", "1"])
                    try await Perf.run(local, listening: { boundSink.yield($0) }, output: lines.add)
                }
                var addresses = bound.makeAsyncIterator()
                let address = try #require(await addresses.next())
                let peer = "\(wire)+" + address.description
                try await Perf.run(try PerfRequest(arguments: ["remote_lat", peer, "\(size)", "30"]), output: lines.add)
                try await group.waitForAll()
            }
        }
        #expect(lines.value("roundtrip count") == 30)
        #expect((lines.value("average latency") ?? 0) > 0)
    }

    /// A stock tool's wire is named by the address's scheme and runs over a plain tcp address.
    @Test func peerWireAddresses() {
        #expect(PeerWire.split("nng+tcp://127.0.0.1:5555")?.address == "tcp://127.0.0.1:5555")
        #expect(PeerWire.split("zmq+tcp://127.0.0.1:5555")?.wire == .zmq)
        #expect(PeerWire.split("tcp://127.0.0.1:5555") == nil)
    }

    @Test(arguments: [ConformanceTransport.ipc, .tcp], ["socket", "pushpull"])
    func throughputSmoke(_ transport: ConformanceTransport, pattern: String) async throws {
        let lines = try await pair(transport, ("local_thr", "remote_thr"), size: 100, count: 1000, pattern: pattern)
        #expect(lines.value("message count") == 1000)
        #expect(lines.value("message size") == 100)
        #expect((lines.value("mean throughput") ?? 0) > 0)
    }

    /// The environment that configures TLS with the test certificates: the server certificate and key for
    /// the listening side, the test CA for the dialing side (each side reads all three, as a script would set
    /// them once for both).
    static let tlsEnvironment = ["MSPERF_TLS_CERT": TLSFixtures.path("server.pem"),
                                 "MSPERF_TLS_KEY": TLSFixtures.path("server.key"),
                                 "MSPERF_TLS_CA": TLSFixtures.path("ca.pem")]

    @Test("MSPERF_TLS_* become the request's TLS configuration; the key defaults to the certificate's file")
    func tlsFromEnvironment() throws {
        let arguments = ["local_thr", "tls+tcp://127.0.0.1:5555", "64", "10"]
        let full = try PerfRequest(arguments: arguments) { Self.tlsEnvironment[$0] }
        #expect(full.tls == TLSConfiguration(certificateChain: .file(TLSFixtures.path("server.pem")),
                                             privateKey: .file(TLSFixtures.path("server.key")),
                                             trustRoots: .certificates(.file(TLSFixtures.path("ca.pem")))))
        let combined = try PerfRequest(arguments: arguments) { $0 == "MSPERF_TLS_CERT" ? "/c/both.pem" : nil }
        #expect(combined.tls == TLSConfiguration(certificateChain: .file("/c/both.pem"),
                                                 privateKey: .file("/c/both.pem")))
        let rootsOnly = try PerfRequest(arguments: arguments) { $0 == "MSPERF_TLS_CA" ? "/c/ca.pem" : nil }
        #expect(rootsOnly.tls == TLSConfiguration(trustRoots: .certificates(.file("/c/ca.pem"))))
        #expect(try PerfRequest(arguments: arguments) { _ in "" }.tls == nil)
        #expect(try PerfRequest(arguments: arguments) { _ in nil }.tls == nil)
        #expect(throws: PerfError.self) {
            try PerfRequest(arguments: arguments) { $0 == "MSPERF_TLS_KEY" ? "/c/key.pem" : nil }
        }
    }

    @Test("tls+tcp latency and throughput with the certificates from MSPERF_TLS_*",
          arguments: [("local_lat", "remote_lat", nil), ("local_reqlat", "remote_reqlat", nil),
                      ("local_thr", "remote_thr", "socket"), ("local_thr", "remote_thr", "pushpull")])
    func tlsSmoke(_ local: String, _ remote: String, _ pattern: String?) async throws {
        let lines = try await pair("tls+tcp://127.0.0.1:0", (local, remote), size: 70_000, count: 50,
                                   pattern: pattern, environment: Self.tlsEnvironment)
        #expect(lines.value("message size") == 70_000)
        if pattern == nil {
            #expect(lines.value("roundtrip count") == 50)
            #expect((lines.value("average latency") ?? 0) > 0)
        } else {
            #expect(lines.value("message count") == 50)
            #expect((lines.value("mean throughput") ?? 0) > 0)
        }
    }

    @Test("a tls+tcp dialer that trusts another CA fails, and says why")
    func tlsUntrustedServer() async throws {
        var environment = Self.tlsEnvironment
        environment["MSPERF_TLS_CA"] = TLSFixtures.path("other-ca.pem")
        let error = await #expect(throws: MultiSocketError.self) {
            _ = try await pair("tls+tcp://127.0.0.1:0", ("local_lat", "remote_lat"), size: 8, count: 5,
                               pattern: nil, environment: environment)
        }
        #expect(error?.context.contains("certificate verify failed") == true, "\(String(describing: error))")
    }

    /// Runs the local side listening on a fresh address and the remote side dialing it, as two programs
    /// would; returns the output of both.
    private func pair(_ transport: ConformanceTransport, _ modes: (String, String), size: Int, count: Int,
                      pattern: String?) async throws -> Lines {
        try await pair(transport.uniqueAddress("perf"), modes, size: size, count: count, pattern: pattern)
    }

    /// Runs the local side listening on `address` and the remote side dialing where it listens, both with
    /// `environment` as their environment variables; returns the output of both. When the remote side fails,
    /// the local side (still waiting for it) is cancelled.
    private func pair(_ address: String, _ modes: (String, String), size: Int, count: Int, pattern: String?,
                      environment: [String: String] = [:]) async throws -> Lines {
        let lines = Lines()
        let tail = ["\(size)", "\(count)"] + (pattern.map { [$0] } ?? [])
        let (bound, boundSink) = AsyncStream.makeStream(of: Address.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { boundSink.finish() }
                let local = try PerfRequest(arguments: [modes.0, address] + tail) { environment[$0] }
                try await Perf.run(local, listening: { boundSink.yield($0) }, output: lines.add)
            }
            var addresses = bound.makeAsyncIterator()
            guard let address = await addresses.next() else {
                try await group.waitForAll()
                Issue.record("\(modes.0) never listened")
                return
            }
            let remote = try PerfRequest(arguments: [modes.1, address.description] + tail) { environment[$0] }
            do {
                try await Perf.run(remote, output: lines.add)
            } catch {
                group.cancelAll()
                throw error
            }
            try await group.waitForAll()
        }
        return lines
    }
}
