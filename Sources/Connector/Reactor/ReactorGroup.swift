import Glibc
import Synchronization

/// A fixed set of ``Reactor``s, each running its own named I/O thread ("multisock-io-0", "multisock-io-1", …).
///
/// Every socket takes a *home* reactor from its group (``next()``, round-robin over the group): the thread
/// behind `Socket.executor` and the one that runs the socket's timers. Pipes spread over the group: each
/// new pipe, dialed or accepted, goes to the next reactor of its socket's home reactor's round-robin
/// (``Reactor/nextForPipe()``, one cursor per reactor, shared by the sockets at home there), which starts
/// at the home reactor itself — so where each reactor is home to one socket (a benchmark, a small
/// service), a socket with one peer keeps its pipe on its home thread (no thread hop between the pipe and a
/// task on the socket's executor), and a server with many peers spreads them evenly over every thread.
/// Round-robin rather than least-loaded: it costs one atomic increment, needs no load figure kept up to
/// date on every pipe's close, and pipes of one kind carry similar load.
///
/// Lifetime: a group, its reactors and their threads live as long as the process (there is no shutdown;
/// a group is never deallocated, like the single process-wide reactor it replaces). Create few: one per
/// process (``default``), or one per isolated workload. All members may be called from any thread.
public final class ReactorGroup: Sendable {
    /// The group every socket uses unless its options name another: min(active cores, 4) threads, or
    /// `MULTISOCKET_IO_THREADS` when that variable holds a whole number from 1 to 256 (read once, when
    /// the group is first used; any other value is ignored).
    public static let `default` = ReactorGroup(
        threads: threadCount(environment: getenv("MULTISOCKET_IO_THREADS").map { String(cString: $0) },
                             activeCores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
        name: "multisock-io"
    )

    /// The group's reactors, in the order ``next()`` hands them out.
    public let reactors: [Reactor]
    private let cursor = Atomic<Int>(0)

    /// The readiness backend of the group's reactors.
    public let backend: IOBackend

    /// Creates a group of `threads` reactors (at least one) waiting on `backend`, and starts their threads,
    /// named `name-0`, `name-1`, … (cut to the kernel's 15 bytes). Runs on the caller's thread; throws nothing.
    public init(threads: Int, name: String = "multisock-io", backend: IOBackend = .default) {
        self.backend = backend
        reactors = (0..<max(1, threads)).map { Reactor(name: "\(name)-\($0)", index: $0, backend: backend) }
        for reactor in reactors { reactor.start(in: self) }
    }

    /// The number of reactors (threads) in the group.
    public var count: Int { reactors.count }

    /// The next reactor, round-robin: the home reactor for a new socket. Any thread.
    public func next() -> Reactor {
        reactors[(cursor.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max) % reactors.count]
    }

    /// The number of I/O threads for a group sized from the environment: `environment` (the value of
    /// `MULTISOCKET_IO_THREADS`, if set) when it is a whole number from 1 to 256, else min(`activeCores`, 4)
    /// (at least 1).
    package static func threadCount(environment: String?, activeCores: Int) -> Int {
        if let environment, let threads = Int(environment.trimmingWhitespace), (1...256).contains(threads) {
            return threads
        }
        return max(1, min(activeCores, 4))
    }
}

private extension String {
    var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
