import MSPerfKit
import MultiSocket
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

@Suite(.timeLimit(.minutes(1)))
struct MSPerfTests {
    @Test(arguments: [
        ["local_lat", "tcp://127.0.0.1:5555", "64", "1000"],
        ["remote_thr", "ipc:///tmp/x.sock", "0", "10", "pushpull"],
        ["inproc_thr", "65536", "100"],
        ["inproc_reqlat", "1", "5"],
    ])
    func parsesCommandLines(_ arguments: [String]) throws {
        let request = try PerfRequest(arguments: arguments)
        #expect(request.mode.rawValue == arguments[0])
        #expect(request.count == Int(arguments[request.mode.isInproc ? 2 : 3]))
    }

    @Test(arguments: [
        [], ["fly"], ["local_lat"], ["local_lat", "tcp://h:1", "64"], ["inproc_lat", "-1", "10"],
        ["inproc_lat", "64", "0"], ["inproc_lat", "64", "10", "pushpull"], ["local_thr", "tcp://h:1", "8", "9", "tcp"],
        ["remote_thr", "tcp://h:1", "x", "10"],
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

    @Test(arguments: [ConformanceTransport.ipc, .tcp], ["socket", "pushpull"])
    func throughputSmoke(_ transport: ConformanceTransport, pattern: String) async throws {
        let lines = try await pair(transport, ("local_thr", "remote_thr"), size: 100, count: 1000, pattern: pattern)
        #expect(lines.value("message count") == 1000)
        #expect(lines.value("message size") == 100)
        #expect((lines.value("mean throughput") ?? 0) > 0)
    }

    /// Runs the local side listening on a fresh address and the remote side dialing it, as two programs
    /// would; returns the output of both.
    private func pair(_ transport: ConformanceTransport, _ modes: (String, String), size: Int, count: Int,
                      pattern: String?) async throws -> Lines {
        let lines = Lines()
        let tail = ["\(size)", "\(count)"] + (pattern.map { [$0] } ?? [])
        let (bound, boundSink) = AsyncStream.makeStream(of: Address.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { boundSink.finish() }
                let local = try PerfRequest(arguments: [modes.0, transport.uniqueAddress("perf")] + tail)
                try await Perf.run(local, listening: { boundSink.yield($0) }, output: lines.add)
            }
            var addresses = bound.makeAsyncIterator()
            guard let address = await addresses.next() else {
                try await group.waitForAll()
                Issue.record("\(modes.0) never listened")
                return
            }
            let remote = try PerfRequest(arguments: [modes.1, address.description] + tail)
            try await Perf.run(remote, output: lines.add)
            try await group.waitForAll()
        }
        return lines
    }
}
