/// A parsed `msperf` command line.
public struct PerfRequest: Sendable, Equatable {
    /// What to measure.
    public var mode: PerfMode
    /// Where to listen or dial; for inproc modes, a generated `inproc://` name.
    public var address: String
    /// Message size in bytes.
    public var size: Int
    /// Round trips (latency modes) or messages (throughput modes).
    public var count: Int
    /// Sockets for throughput modes.
    public var pattern: PerfPattern

    /// The usage text printed for `--help` and after a bad command line.
    public static let usage = """
        usage: msperf local_lat|remote_lat|local_reqlat|remote_reqlat <address> <size> <roundtrips>
               msperf local_thr|remote_thr <address> <size> <count> [socket|pushpull]
               msperf inproc_lat|inproc_reqlat <size> <roundtrips>
               msperf inproc_thr <size> <count> [socket|pushpull]
        addresses: tcp://127.0.0.1:5555, ipc:///tmp/perf.sock, ws://127.0.0.1:5555/perf
        """

    /// Parses `arguments` (without the program name).
    /// - Throws: ``PerfError`` naming what is wrong.
    public init(arguments: [String]) throws(PerfError) {
        guard let first = arguments.first else { throw PerfError("no mode given") }
        guard let mode = PerfMode(rawValue: first) else { throw PerfError("unknown mode '\(first)'") }
        var rest = Array(arguments.dropFirst())
        let address: String
        if mode.isInproc {
            address = "inproc://msperf-\(UInt32.random(in: 0 ... .max))"
        } else {
            guard !rest.isEmpty else { throw PerfError("\(mode.rawValue) needs an address") }
            address = rest.removeFirst()
        }
        let required = 2
        let optional = mode.isThroughput ? 1 : 0
        guard rest.count >= required, rest.count <= required + optional else {
            throw PerfError("\(mode.rawValue) takes \(mode.isInproc ? "" : "<address> ")<size> <\(mode.isThroughput ? "count" : "roundtrips")>")
        }
        guard let size = Int(rest[0]), size >= 0, size <= 1 << 30 else { throw PerfError("bad size '\(rest[0])'") }
        guard let count = Int(rest[1]), count >= 1, count <= 1 << 30 else { throw PerfError("bad count '\(rest[1])'") }
        var pattern = PerfPattern.socket
        if rest.count == 3 {
            guard let chosen = PerfPattern(rawValue: rest[2]) else { throw PerfError("unknown pattern '\(rest[2])'") }
            pattern = chosen
        }
        self.init(mode: mode, address: address, size: size, count: count, pattern: pattern)
    }

    /// Creates a request directly.
    public init(mode: PerfMode, address: String, size: Int, count: Int, pattern: PerfPattern = .socket) {
        self.mode = mode
        self.address = address
        self.size = size
        self.count = count
        self.pattern = pattern
    }
}
