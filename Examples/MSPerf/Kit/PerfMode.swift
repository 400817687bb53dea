/// One `msperf` measurement, as named on its command line.
///
/// The names and arguments are libzmq's perf tools' (`local_lat`, `remote_lat`, `local_thr`, `remote_thr`,
/// `inproc_lat`, `inproc_thr`), plus `local_reqlat`/`remote_reqlat`/`inproc_reqlat`, which measure the same
/// round trip through ``Req``/``Rep`` instead of the bare socket.
public enum PerfMode: String, Sendable, CaseIterable {
    /// Echo server for a latency run: listens, answers every message to its source.
    case localLat = "local_lat"
    /// Latency client: dials, sends, waits for the echo; prints the average one-way latency.
    case remoteLat = "remote_lat"
    /// Throughput receiver: listens, times `count` messages after a sync message; prints the rate.
    case localThr = "local_thr"
    /// Throughput sender: dials, sends a sync message, then `count` messages as fast as it can.
    case remoteThr = "remote_thr"
    /// Both latency sides in one process over inproc.
    case inprocLat = "inproc_lat"
    /// Both throughput sides in one process over inproc.
    case inprocThr = "inproc_thr"
    /// ``Rep`` echo server for a request/reply latency run.
    case localReqLat = "local_reqlat"
    /// ``Req`` client for a request/reply latency run; prints the average one-way latency.
    case remoteReqLat = "remote_reqlat"
    /// Both request/reply latency sides in one process over inproc.
    case inprocReqLat = "inproc_reqlat"

    /// Whether the mode runs both sides itself (and so takes no address).
    public var isInproc: Bool { self == .inprocLat || self == .inprocThr || self == .inprocReqLat }

    /// Whether the mode measures throughput (its last argument is a message count, not round trips).
    public var isThroughput: Bool { self == .localThr || self == .remoteThr || self == .inprocThr }
}
