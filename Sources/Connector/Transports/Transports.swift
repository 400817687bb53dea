/// The process-wide table of transports, keyed by scheme: what ``Address`` parsing, dialing and listening
/// look up. tcp, ipc, ws, inproc, tls+tcp, wss and the Scalability Protocols wire (sp+tcp, sp+ipc, sp+ws,
/// sp+tls+tcp) are registered from the start.
///
/// Every member may be called from any thread; the table sits behind a lock held only to read or replace
/// an entry.
public enum Transports {
    private static let table = Locked<[String: any Transport]>(Dictionary(
        uniqueKeysWithValues: builtIn.flatMap { transport in transport.schemes.map { ($0, transport) } }
    ))
    private static var builtIn: [any Transport] {
        [SocketStreamTransport.tcp, SocketStreamTransport.ipc, WSTransport(), InprocTransport(), TLSTCPTransport(),
         WSTransport.secure, SPTransport.tcp, SPTransport.ipc, WSTransport.sp, SPTLSTransport()]
    }

    /// Registers `transport` for each of its ``Transport/schemes``, replacing whatever served them before
    /// (a built-in too). Addresses parsed and endpoints opened afterwards use it; open ones keep theirs.
    public static func register(_ transport: any Transport) {
        table.withLock { table in
            for scheme in transport.schemes { table[scheme.lowercased()] = transport }
        }
    }

    /// The transport registered for `scheme` (matched in lowercase), if any.
    public static func transport(for scheme: String) -> (any Transport)? {
        table.withLock { $0[scheme.lowercased()] }
    }

    /// The registered schemes, sorted.
    public static var schemes: [String] {
        table.withLock { $0.keys.sorted() }
    }
}
