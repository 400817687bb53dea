/// A messaging pattern the soak drives: one server and many clients over tcp.
public enum SoakPattern: String, Sendable, CaseIterable, Hashable {
    /// `Req` clients, one request at a time each, against one `Rep` server that echoes.
    case reqrep
    /// One `Pub` server publishing to `Sub` clients (best effort: drops are counted, never hidden).
    case pubsub
    /// `Push` clients streaming to one `Pull` server.
    case pushpull
}
