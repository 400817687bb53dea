import Glibc
import MultiSocket

/// A parsed `msperf` command line, with the TLS settings of its environment.
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
    /// How the run's `tls+tcp://` and `wss://` endpoints secure their connections (from `MSPERF_TLS_CERT`,
    /// `MSPERF_TLS_KEY`, `MSPERF_TLS_CA`); `nil` leaves the library's defaults. Other transports ignore it.
    public var tls: TLSConfiguration?

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
        TLS: tls+tcp://127.0.0.1:5555 and wss://127.0.0.1:5555/perf, configured by the environment:
          MSPERF_TLS_CERT=FILE  PEM certificate chain the listening (local_*) side presents
          MSPERF_TLS_KEY=FILE   its PEM private key (default: read from MSPERF_TLS_CERT's file)
          MSPERF_TLS_CA=FILE    PEM roots the dialing (remote_*) side trusts (default: the system's store)
        Both sides may be given all three; the address's query (?tlsCAFile=…) overrides them.
        """

    /// Parses `arguments` (without the program name), reading the TLS settings from `environment` (by
    /// default the process's environment variables).
    /// - Throws: ``PerfError`` naming what is wrong.
    public init(arguments: [String],
                environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }) throws(PerfError) {
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
                  connections: connections, tls: try Self.tls(environment))
    }

    /// The TLS configuration `MSPERF_TLS_CERT`, `MSPERF_TLS_KEY` and `MSPERF_TLS_CA` describe (empty values
    /// count as unset); `nil` when none is set.
    /// - Throws: ``PerfError`` for a key without a certificate.
    static func tls(_ environment: (String) -> String?) throws(PerfError) -> TLSConfiguration? {
        let values = ["MSPERF_TLS_CERT", "MSPERF_TLS_KEY", "MSPERF_TLS_CA"].map { name in
            environment(name).flatMap { $0.isEmpty ? nil : $0 }
        }
        let certificate = values[0], key = values[1], roots = values[2]
        if key != nil, certificate == nil { throw PerfError("MSPERF_TLS_KEY needs MSPERF_TLS_CERT") }
        guard certificate != nil || roots != nil else { return nil }
        return TLSConfiguration(certificateChain: certificate.map { .file($0) },
                                privateKey: (key ?? certificate).map { .file($0) },
                                trustRoots: roots.map { .certificates(.file($0)) } ?? .system)
    }

    /// Creates a request directly.
    public init(mode: PerfMode, address: String, size: Int, count: Int, pattern: PerfPattern = .socket,
                connections: Int = PerfRequest.defaultConnections, tls: TLSConfiguration? = nil) {
        self.mode = mode
        self.address = address
        self.size = size
        self.count = count
        self.pattern = pattern
        self.connections = connections
        self.tls = tls
    }
}
