/// One `msperf` measurement, as named on its command line.
///
/// The names and arguments are libzmq's perf tools' (`local_lat`, `remote_lat`, `local_thr`, `remote_thr`,
/// `inproc_lat`, `inproc_thr`), plus `local_reqlat`/`remote_reqlat`/`inproc_reqlat`, which measure the same
/// round trip through ``Req``/``Rep`` instead of the bare socket, and `local_many`/`remote_many`, a ``Rep``
/// server under many ``Req`` connections from one load-generating process.
public enum PerfMode: String, Sendable, CaseIterable {
    /// Echo server for a latency run: listens, answers every message to its source until its peers leave.
    case localLat = "local_lat"
    /// Latency client: dials, exchanges exactly `roundtrips` messages (the first tenth, at most 1000, an
    /// untimed warm-up); prints the average one-way latency of the timed ones.
    case remoteLat = "remote_lat"
    /// Throughput receiver: listens, times `count` messages after a sync message; prints the rate.
    case localThr = "local_thr"
    /// Throughput sender: dials, sends a sync message, then `count` messages as fast as it can.
    case remoteThr = "remote_thr"
    /// Both latency sides in one process over inproc.
    case inprocLat = "inproc_lat"
    /// Both throughput sides in one process over inproc.
    case inprocThr = "inproc_thr"
    /// ``Rep`` echo server for a request/reply latency run, until its peers leave.
    case localReqLat = "local_reqlat"
    /// ``Req`` client for a request/reply latency run (the round trips of `remote_lat`); prints the average
    /// one-way latency.
    case remoteReqLat = "remote_reqlat"
    /// Both request/reply latency sides in one process over inproc.
    case inprocReqLat = "inproc_reqlat"
    /// ``Rep`` server for a many-connection run: answers every request until its peers leave.
    case localMany = "local_many"
    /// Load generator for a many-connection run: `connections` ``Req`` sockets, each its own connection with
    /// one request in flight, `count` requests in all; prints requests per second and round-trip percentiles.
    case remoteMany = "remote_many"

    /// Whether the mode runs both sides itself (and so takes no address).
    public var isInproc: Bool { self == .inprocLat || self == .inprocThr || self == .inprocReqLat }

    /// Whether the mode measures throughput (its last argument is a message count, not round trips).
    public var isThroughput: Bool { self == .localThr || self == .remoteThr || self == .inprocThr }

    /// Whether the mode is a side of the many-connection run (its optional argument is a connection count).
    public var isMany: Bool { self == .localMany || self == .remoteMany }
}
