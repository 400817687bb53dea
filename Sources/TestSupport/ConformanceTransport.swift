import Glibc
import Synchronization

/// A transport the transport conformance suite runs over, and how to make fresh addresses on it.
///
/// The transport conformance suite is every test parameterized over ``suite``: the send/receive matrix,
/// close without loss, back-pressure, limits, reconnect, switches and every protocol role run over each
/// entry. ``suite`` holds the built-in transports (tls+tcp and wss with the test certificates of
/// ``TLSFixtures``) and ``abstract``, a transport written outside the library on its public contract alone,
/// so that contract is tested as the built-ins are.
public struct ConformanceTransport: Sendable, Hashable, CustomStringConvertible {
    /// The transport's scheme.
    public let scheme: String
    /// Makes an address from a label and a number unique to this process.
    private let makeAddress: @Sendable (_ label: String, _ unique: String) -> String

    private static let counter = Atomic(0)

    /// In-process.
    public static let inproc = ConformanceTransport(scheme: "inproc") { "inproc://\($0)-\($1)" }
    /// Unix-domain sockets, under the temporary directory.
    public static let ipc = ConformanceTransport(scheme: "ipc") { "ipc:///tmp/ms-\($0.prefix(20))-\($1).sock" }
    /// TCP on loopback, port 0.
    public static let tcp = ConformanceTransport(scheme: "tcp") { _, _ in "tcp://127.0.0.1:0" }
    /// WebSocket on loopback, port 0, a fresh path.
    public static let ws = ConformanceTransport(scheme: "ws") { "ws://127.0.0.1:0/\($0)-\($1)" }
    /// TLS over TCP on loopback, port 0, with the test certificates in the address's query
    /// (``TLSFixtures/query``).
    public static let tls = ConformanceTransport(scheme: "tls+tcp") { _, _ in
        "tls+tcp://127.0.0.1:0?\(TLSFixtures.query)"
    }
    /// WebSocket over TLS on loopback, port 0, a fresh path, with the test certificates in the query.
    public static let wss = ConformanceTransport(scheme: "wss") { "wss://127.0.0.1:0/\($0)-\($1)?\(TLSFixtures.query)" }
    /// Linux abstract-namespace Unix sockets (``AbstractSocketTransport``), registered on first use.
    public static let abstract = ConformanceTransport(scheme: AbstractSocketTransport.scheme) {
        AbstractSocketTransport.registerOnce()
        return "\(AbstractSocketTransport.scheme)://ms-\($0.prefix(40))-\($1)"
    }

    /// The transport conformance suite's transports.
    public static let suite: [ConformanceTransport] = [.inproc, .ipc, .tcp, .ws, .abstract, .tls, .wss]

    private init(scheme: String, makeAddress: @escaping @Sendable (String, String) -> String) {
        self.scheme = scheme
        self.makeAddress = makeAddress
    }

    /// A listen address unique to this process and call: a fresh inproc name, ipc path or abstract name, tcp
    /// or tls+tcp port 0 on loopback, or a fresh ws or wss path on port 0 on loopback.
    public func uniqueAddress(_ label: String = "t") -> String {
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        return makeAddress(label, "\(getpid())-\(number)")
    }

    /// The scheme.
    public var description: String { scheme }

    /// Transports are equal when their schemes are.
    public static func == (lhs: ConformanceTransport, rhs: ConformanceTransport) -> Bool {
        lhs.scheme == rhs.scheme
    }

    /// Hashes the scheme.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(scheme)
    }
}
