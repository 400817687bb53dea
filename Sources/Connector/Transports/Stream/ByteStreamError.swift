import Glibc

/// Why a ``ByteStream`` broke.
public enum ByteStreamError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer reset the connection (`ECONNRESET`): what it had sent and we had not read is lost.
    case reset
    /// The stream ended without the end its protocol requires (a TLS stream without close_notify): what
    /// arrived may be cut short by an attacker, so it is not a clean end.
    case truncated
    /// The stream's security layer failed (a TLS alert or a bad record), with its reason.
    case security(String)
    /// Any other system error, as its `errno`.
    case system(Int32)

    /// Maps a failed socket call's `errno` (not `EAGAIN` or `EINTR`).
    package init(errno error: Int32) {
        self = error == ECONNRESET ? .reset : .system(error)
    }

    public var description: String {
        switch self {
        case .reset: "connection reset by the peer"
        case .truncated: "stream ended without its closing handshake"
        case .security(let reason): "security layer failed: \(reason)"
        case .system(let error): String(cString: strerror(error))
        }
    }
}
