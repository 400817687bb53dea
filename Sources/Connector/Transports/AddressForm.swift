/// How the text after `scheme://` of a transport's addresses is laid out, up to the query (`?…`).
public enum AddressForm: Sendable, Hashable {
    /// `host:port` followed by an optional path that starts with `/`: tcp (`tcp://127.0.0.1:5555`), ws
    /// (`ws://[::1]:80/chat`). The host is `*` for all interfaces and may be an IPv6 literal in brackets;
    /// the port is 0 to 65535. A text with no path gets `defaultPath`; when that is `nil`, a path is a
    /// `badAddress`.
    case network(defaultPath: String?)
    /// Everything up to the query is the path, which must not be empty: ipc (`ipc:///tmp/x.sock`), inproc
    /// (`inproc://name`).
    case local
}
