import MultiSocketTestSupport
import MultiSocketSoakKit
import Synchronization
import Testing

/// Collects output lines.
private final class Lines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// The soak tool itself: its message stamp, its command line, and short runs (in this process and as the
/// built binary) so that it cannot rot.
@Suite(.timeLimit(.minutes(2)))
struct SoakToolTests {
    @Test(arguments: [0, 1, 7, 8, 9, 128, 4099])
    func stampRoundTripsAndCatchesEveryFlippedBit(_ size: Int) throws {
        let stamp = SoakStamp(peer: 0xDEAD_BEEF, sequence: 1 << 40 | 5)
        let body = stamp.encode(payloadSize: size)
        #expect(body.count == SoakStamp.headerSize + size)
        #expect(SoakStamp.decode(body) == stamp)
        for index in stride(from: 0, to: body.count, by: max(1, body.count / 64)) {
            var corrupt = body
            corrupt[index] ^= 0x10
            #expect(SoakStamp.decode(corrupt) == nil, "a flipped bit at \(index) went unnoticed")
        }
        #expect(SoakStamp.decode(Array(body.dropLast())) == nil)
        #expect(SoakStamp.decode(body + [0]) == nil)
        let neighbour = SoakStamp(peer: 0xDEAD_BEEF, sequence: 1 << 40 | 6).encode(payloadSize: size)
        let payload = { (bytes: [UInt8]) in Array(bytes.dropFirst(SoakStamp.headerSize)) }
        #expect(payload(neighbour) != payload(body) || size < 8, "neighbours share their payload")
    }

    @Test func parsesCommandLines() throws {
        guard case .run(let options) = try SoakCommand(arguments: [
            "--peers", "7", "--seconds", "2.5", "--size", "0", "--patterns", "pushpull,reqrep", "--report-every", "1",
            "--churn", "0", "--pub-window", "0", "--rss-tolerance", "8",
        ]) else {
            Issue.record("not a run")
            return
        }
        #expect(options.peers == 7 && options.seconds == 2.5 && options.size == 0 && options.reportEvery == 1)
        #expect(options.patterns == [.pushpull, .reqrep] && options.churn == 0 && options.pubWindow == 0)
        #expect(options.rssToleranceMiB == 8)
        #expect(try SoakCommand(arguments: []) == .run(SoakOptions()))
        #expect(try SoakCommand(arguments: ["--help"]) == .help)
        #expect(try SoakCommand(arguments: ["serve", "--pattern", "reqrep", "--address", "tcp://127.0.0.1:1",
                                            "--spare-fds", "3"])
                == .serve(ServeOptions(pattern: .reqrep, address: "tcp://127.0.0.1:1", spareFiles: 3)))
    }

    @Test(arguments: [
        ["--peers"], ["--peers", "0"], ["--patterns", "reqrep,bus"], ["--seconds", "x"], ["--bogus", "1"], ["peers"],
        ["--size", "1", "--size", "2"], ["serve", "--pattern", "pubsub", "--address", "tcp://127.0.0.1:1"],
        ["serve", "--pattern", "reqrep"],
    ])
    func rejectsBadCommandLines(_ arguments: [String]) {
        #expect(throws: SoakError.self) { try SoakCommand(arguments: arguments) }
    }

    /// A few seconds of every pattern with a few peers and churn, in this process: nothing lost or corrupt,
    /// every pattern moving, a report line per second. (Memory and descriptors are not judged here: other
    /// tests share the process. Nor is the churn: on a loaded machine its first second may not come in time.)
    @Test func shortRunInProcessLosesNothing() async throws {
        var options = SoakOptions()
        options.peers = 4
        options.seconds = 3
        options.reportEvery = 1
        options.size = 100
        options.churn = 2
        options.rssToleranceMiB = 1_000_000
        options.fdTolerance = 1_000_000
        let lines = Lines()
        let summary = try await Soak.run(options, output: lines.add)
        for tally in summary.tallies {
            #expect(tally.lost == 0 && tally.corrupt == 0 && tally.errors == 0, "\(tally)")
            #expect(tally.received > 0, "\(tally.pattern) moved nothing")
            #expect(tally.clients >= options.peers)
        }
        #expect(summary.tallies.map(\.pattern) == SoakPattern.allCases)
        #expect(summary.passed, "\(summary.lines)")
        #expect(lines.all.filter { $0.hasPrefix("[") }.count >= 2, "\(lines.all)")
        #expect(lines.all.last == "result: PASS")
    }

    /// The built binary: a short run prints its reports and summary and exits 0.
    @Test func binaryRunsAndPasses() async throws {
        let soak = try SoakProcess(["--seconds", "2", "--peers", "2", "--report-every", "1", "--size", "10"])
        try await soak.line("the summary") { $0.hasPrefix("summary:") }
        try await soak.line("the verdict") { $0.hasPrefix("result:") }
        let status = await soak.waitForExit()
        #expect(status == 0, "\(soak.printed) \(soak.errorOutput)")
        #expect(soak.printed.contains("result: PASS"))
        #expect(soak.printed.contains { $0.hasPrefix("[") && $0.contains("rss") && $0.contains("fds") })
    }
}
