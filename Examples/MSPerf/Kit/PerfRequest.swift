/// A parsed `msperf` command line.
public struct PerfRequest: Sendable, Equatable {
    /// What to measure.
    public var mode: PerfMode
    /// Where to listen or dial; for inproc modes, a generated `inproc://` name.
    public var address: String
    /// Message size in bytes.
    public var size: Int
    /// Round trips (latency modes), messages (throughput modes) or requests in all (many-connection modes).
    ///
    /// The echo servers (`local_lat`, `local_reqlat`, `local_many`) take it for the stock tools' command line
    /// but serve until their peers leave, however many round trips those make.
    public var count: Int
    /// Sockets for throughput modes.
    public var pattern: PerfPattern
    /// Client connections of a many-connection run (the server takes it for a symmetric command line).
    public var connections: Int

    /// Client connections of a many-connection run when the command line names none.
    public static let defaultConnections = 64

    /// The usage text printed for `--help` and after a bad command line.
    public static let usage = """
        usage: msperf local_lat|remote_lat|local_reqlat|remote_reqlat <address> <size> <roundtrips>
               msperf local_thr|remote_thr <address> <size> <count> [socket|pushpull]
               msperf local_many|remote_many <address> <size> <requests> [connections (64)]
               msperf inproc_lat|inproc_reqlat <size> <roundtrips>
               msperf inproc_thr <size> <count> [socket|pushpull]
        addresses: tcp://127.0.0.1:5555, ipc:///tmp/perf.sock, ws://127.0.0.1:5555/perf
        local_lat/remote_lat also take nng+tcp://… and zmq+tcp://…: the wire of NNG's and ZeroMQ's own
        local_lat/remote_lat (req/rep), to run against them
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
        if PeerWire.split(address) != nil, mode != .localLat, mode != .remoteLat {
            throw PerfError("only local_lat and remote_lat speak a stock tool's wire (\(address))")
        }
        let optional = mode.isThroughput || mode.isMany ? 1 : 0
        guard rest.count >= 2, rest.count <= 2 + optional else {
            let counted = mode.isThroughput ? "count" : mode.isMany ? "requests" : "roundtrips"
            throw PerfError("\(mode.rawValue) takes \(mode.isInproc ? "" : "<address> ")<size> <\(counted)>")
        }
        guard let size = Int(rest[0]), size >= 0, size <= 1 << 30 else { throw PerfError("bad size '\(rest[0])'") }
        guard let count = Int(rest[1]), count >= 1, count <= 1 << 30 else { throw PerfError("bad count '\(rest[1])'") }
        var pattern = PerfPattern.socket
        var connections = Self.defaultConnections
        if rest.count == 3 {
            if mode.isMany {
                guard let chosen = Int(rest[2]), chosen >= 1, chosen <= 4096 else {
                    throw PerfError("bad connection count '\(rest[2])' (1 to 4096)")
                }
                connections = chosen
            } else {
                guard let chosen = PerfPattern(rawValue: rest[2]) else {
                    throw PerfError("unknown pattern '\(rest[2])'")
                }
                pattern = chosen
            }
        }
        self.init(mode: mode, address: address, size: size, count: count, pattern: pattern,
                  connections: connections)
    }

    /// Creates a request directly.
    public init(mode: PerfMode, address: String, size: Int, count: Int, pattern: PerfPattern = .socket,
                connections: Int = PerfRequest.defaultConnections) {
        self.mode = mode
        self.address = address
        self.size = size
        self.count = count
        self.pattern = pattern
        self.connections = connections
    }
}
